using System.Diagnostics;

namespace Whatwg.WebSockets.Cli.Tests;

/// <summary>wsc as a .NET tool: pack, install into a private tool path from a local feed, run.</summary>
public class WscToolPackageTests
{
    [Fact]
    [Trait("Duration", "Long")]
    public async Task Pack_then_tool_install_gives_a_working_wsc_command()
    {
        (string root, string configuration) = WscProcess.Build;
        DirectoryInfo work = Directory.CreateTempSubdirectory("wsc-tool-");
        try
        {
            string feed = Path.Combine(work.FullName, "feed");
            string tools = Path.Combine(work.FullName, "tools");
            string config = Path.Combine(work.FullName, "nuget.config");

            // --no-build packs what the tests already run, so the test does not rebuild under other tests' feet.
            await RunAsync("dotnet", "pack", Path.Combine(root, "src", "Whatwg.WebSockets.Cli"), "-c", configuration, "--no-build", "-o", feed, "-nologo");
            Assert.Single(Directory.GetFiles(feed, "Whatwg.WebSockets.Cli.*.nupkg"));

            // Only the local feed: the tool package carries its dependencies, so nothing is fetched from the network.
            await File.WriteAllTextAsync(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await RunAsync("dotnet", "tool", "install", "--tool-path", tools, "--configfile", config, "Whatwg.WebSockets.Cli");

            string output = await RunAsync(Path.Combine(tools, "wsc"), "--version");
            Assert.Matches(@"^\d+\.\d+\.\d+", output);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<string> RunAsync(string fileName, params string[] args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // The tool's launcher finds the runtime through DOTNET_ROOT when dotnet is not in a default place.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is string host && Path.GetDirectoryName(host) is string dotnetRoot)
        {
            start.Environment["DOTNET_ROOT"] = dotnetRoot;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(limit.Token);
        string text = await stdout;
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', args)}: exit {process.ExitCode}\n{text}\n{await stderr}");
        return text;
    }
}
