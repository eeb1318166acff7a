using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>What a finished wsc run left behind.</summary>
public sealed record WscResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    /// <summary>The stdout lines, without the empty entry after the last newline.</summary>
    public string[] Lines => Stdout.Length == 0 ? [] : Stdout.TrimEnd('\n').Split('\n');

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";
}

/// <summary>Runs the built wsc.dll as a child process with redirected standard streams and a time limit.</summary>
public static class WscProcess
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    private static readonly Lazy<string> WscPath = new(FindWsc);

    /// <summary>Starts wsc, writes <paramref name="stdinLines"/>, then closes stdin (or keeps it open until wsc exits).</summary>
    public static async Task<WscResult> RunAsync(
        IEnumerable<string> args, IEnumerable<string>? stdinLines = null, bool closeStdin = true, TimeSpan? timeout = null, byte[]? stdinBytes = null)
    {
        var utf8 = new UTF8Encoding(false);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = utf8,
            StandardErrorEncoding = utf8,
        };
        start.ArgumentList.Add(WscPath.Value);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = new MemoryStream();
        Task stdoutDone = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task<string> stderrDone = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.NewLine = "\n";
            foreach (string line in stdinLines ?? [])
            {
                await process.StandardInput.WriteLineAsync(line);
            }

            await process.StandardInput.FlushAsync();
            if (stdinBytes is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdinBytes);
                await process.StandardInput.BaseStream.FlushAsync();
            }

            if (closeStdin)
            {
                process.StandardInput.Close();
            }

            using var limit = new CancellationTokenSource(timeout ?? DefaultTimeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                await Task.WhenAll(stdoutDone, stderrDone);
                throw new TimeoutException($"wsc did not exit within {(timeout ?? DefaultTimeout).TotalSeconds} s\n{new WscResult(-1, stdout.ToArray(), stderrDone.Result)}");
            }

            await Task.WhenAll(stdoutDone, stderrDone);
            return new WscResult(process.ExitCode, stdout.ToArray(), await stderrDone);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The pipe is already broken: the child has gone.
            }
        }
    }

    /// <summary>
    /// Starts wsc with stdin left open, waits until its stderr shows <paramref name="ready"/> and then
    /// <paramref name="then"/>, sends it SIGINT (what Ctrl+C sends), and returns how it ended. SIGINT is set to its
    /// default action in the child even where this process inherited it ignored (as background jobs do).
    /// With <paramref name="again"/>, a second SIGINT follows that long after the first. <paramref name="signal"/>
    /// names another signal to send instead (TERM).
    /// </summary>
    public static async Task<WscResult> RunAndInterruptAsync(
        IEnumerable<string> args, string ready, TimeSpan then, TimeSpan? again = null, TimeSpan? timeout = null, string signal = "INT")
    {
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        start.ArgumentList.Add(WscPath.Value);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start env");
        var stdout = new MemoryStream();
        Task stdoutDone = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = new StringBuilder();
        Task stderrDone = Task.Run(async () =>
        {
            char[] chunk = new char[1024];
            int n;
            while ((n = await process.StandardError.ReadAsync(chunk)) > 0)
            {
                lock (stderr)
                {
                    stderr.Append(chunk, 0, n);
                }
            }
        });
        string Stderr()
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }

        using var limit = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (!Stderr().Contains(ready, StringComparison.Ordinal))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"wsc exited before printing '{ready}'\n{new WscResult(process.ExitCode, stdout.ToArray(), Stderr())}");
                }

                await Task.Delay(25, limit.Token);
            }

            await Task.Delay(then, limit.Token);
            Signals.Send(process, signal);
            if (again is TimeSpan second)
            {
                await Task.Delay(second, limit.Token);
                Signals.Send(process, signal);
            }

            await process.WaitForExitAsync(limit.Token);
            await Task.WhenAll(stdoutDone, stderrDone);
            return new WscResult(process.ExitCode, stdout.ToArray(), Stderr());
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"wsc did not finish within {(timeout ?? DefaultTimeout).TotalSeconds} s\n{new WscResult(-1, stdout.ToArray(), Stderr())}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    /// <summary>Starts <c>wsc serve</c> and waits for the URL it prints on its first line.</summary>
    public static async Task<ServeProcess> StartServeAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(WscPath.Value);
        start.ArgumentList.Add("serve");
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(DefaultTimeout);
        string? url = await process.StandardOutput.ReadLineAsync(limit.Token);
        if (url is null)
        {
            await process.WaitForExitAsync(limit.Token);
            string why = await stderr;
            process.Dispose();
            throw new InvalidOperationException($"wsc serve printed no URL (exit {process.ExitCode}): {why}");
        }

        return new ServeProcess(process, url, stderr);
    }

    /// <summary>
    /// src/Whatwg.WebSockets.Cli/bin/&lt;Configuration&gt;/net10.0/wsc.dll under the repository root, for the
    /// configuration these tests were built with (read from this assembly's own bin/&lt;Configuration&gt;/&lt;tfm&gt;/ path).
    /// </summary>
    /// <summary>The repository root and the configuration (Debug/Release) these tests were built with.</summary>
    public static (string Root, string Configuration) Build
    {
        get
        {
            string wsc = WscPath.Value;
            var framework = Directory.GetParent(wsc)!;
            string configuration = framework.Parent!.Name;
            return (framework.Parent.Parent!.Parent!.Parent!.Parent!.FullName, configuration);
        }
    }

    private static string FindWsc()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = here.Name;
        string configuration = here.Parent?.Name ?? "Debug";
        DirectoryInfo? root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Whatwg.WebSockets.slnx")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException($"no Whatwg.WebSockets.slnx above {AppContext.BaseDirectory}");
        }

        string path = Path.Combine(root.FullName, "src", "Whatwg.WebSockets.Cli", "bin", configuration, framework, "wsc.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"wsc.dll is not built at {path}", path);
    }
}

/// <summary>A running <c>wsc serve</c>; disposing kills it.</summary>
public sealed class ServeProcess(Process process, string url, Task<string> stderr) : IAsyncDisposable
{
    public string Url => url;

    public Process Process => process;

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        Signals.Send(process, "TERM");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(limit.Token);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        await stderr;
        process.Dispose();
    }
}

/// <summary>Sends a POSIX signal to a process this test started, by its PID (no kill(1) needed on the machine).</summary>
internal static class Signals
{
    public static void Send(Process process, string signal)
    {
        int number = signal switch
        {
            "INT" => 2,
            "TERM" => 15,
            _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "INT or TERM"),
        };
        if (Kill(process.Id, number) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, SIG{signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
