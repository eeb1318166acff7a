using BenchmarkDotNet.Running;
using Whatwg.WebSockets.Benchmarks.EndToEnd;

// bench e2e [--quick] [--out docs/benchmarks.md]   end to end against ClientWebSocket
// bench micro [BenchmarkDotNet arguments]          microbenchmarks
// bench server                                     the end-to-end peer (started by e2e)
string mode = args.Length > 0 ? args[0] : "e2e";
switch (mode)
{
    case "server":
        using (var stop = new CancellationTokenSource())
        {
            // Exit when the parent closes our stdin (it is gone) or kills us.
            _ = Task.Run(() =>
            {
                Console.In.ReadToEnd();
                stop.Cancel();
            });
            try
            {
                await BenchServer.RunAsync(Console.Out, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return 0;
    case "idle":
        // bench idle ours|reference N URL: one measurement in a fresh process (see EndToEndSuite.IdleInChildAsync).
        {
            var url = new Uri(args[3]);
            int count = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
            var result = args[1] == "ours" ? await OurClient.IdleMemoryAsync(url, count) : await ReferenceClient.IdleMemoryAsync(url, count);
            Console.WriteLine(result.ManagedPerConnection.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        }

        return 0;
    case "micro":
        BenchmarkSwitcher.FromAssembly(typeof(EndToEndSuite).Assembly).Run(args[1..]);
        return 0;
    default:
        return await EndToEndSuite.RunAsync(args);
}
