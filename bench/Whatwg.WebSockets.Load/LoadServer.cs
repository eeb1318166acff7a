using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Whatwg.WebSockets.Load;

using NetWebSocket = System.Net.WebSockets.WebSocket;

/// <summary>
/// The load run's server: ASP.NET Core (Kestrel) on 127.0.0.1, path <c>/load</c>. For every message it receives it
/// checks the sequence number and content (<see cref="LoadMessage"/>) and answers with one message of its own
/// sequence (the same length); when the client closes, it answers with code 1000 and its counts as the reason
/// (<see cref="SequenceStats"/>), after every reply has been written.
/// </summary>
internal sealed class LoadServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;
    private long _accepted;
    private long _active;
    private long _closedNormally;
    private long _failed;
    private long _received;
    private long _sent;
    private long _lost;
    private long _duplicated;
    private long _reordered;
    private long _corrupt;
    private string? _firstError;

    private LoadServer()
    {
    }

    /// <summary>ws://127.0.0.1:port/load</summary>
    public Uri Url { get; private set; } = null!;

    public static async Task<LoadServer> StartAsync(int port = 0)
    {
        var server = new LoadServer();
        try
        {
            await server.StartCoreAsync(port).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(int port)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(options => options.Backlog = 4096);
        builder.WebHost.UseKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, port);
            options.Limits.MaxConcurrentConnections = null;
            options.Limits.MaxConcurrentUpgradedConnections = null;
        });
        _app = builder.Build();
        _app.UseWebSockets(new Microsoft.AspNetCore.Builder.WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        _app.Run(HandleAsync);
        await _app.StartAsync().ConfigureAwait(false);
        string address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        Url = new Uri($"ws://127.0.0.1:{new Uri(address).Port}/load");
    }

    /// <summary>The totals over every connection so far, and this process's CPU time and memory.</summary>
    public ServerSample Sample()
    {
        using var self = Process.GetCurrentProcess();
        return new ServerSample(
            Interlocked.Read(ref _accepted),
            Interlocked.Read(ref _active),
            Interlocked.Read(ref _closedNormally),
            Interlocked.Read(ref _failed),
            Interlocked.Read(ref _received),
            Interlocked.Read(ref _sent),
            Interlocked.Read(ref _lost),
            Interlocked.Read(ref _duplicated),
            Interlocked.Read(ref _reordered),
            Interlocked.Read(ref _corrupt),
            self.TotalProcessorTime,
            self.WorkingSet64,
            GC.GetTotalMemory(forceFullCollection: false),
            Volatile.Read(ref _firstError));
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path != "/load" || !context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using NetWebSocket ws = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.Zero }).ConfigureAwait(false);
        Interlocked.Increment(ref _accepted);
        Interlocked.Increment(ref _active);
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, context.RequestAborted);
        try
        {
            await ServeAsync(ws, aborted.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            Interlocked.Increment(ref _failed);
            Interlocked.CompareExchange(ref _firstError, $"{ex.GetType().Name}: {ex.Message}", null);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>One connection: check each message, answer it, and report the counts in the close reason.</summary>
    private async Task ServeAsync(NetWebSocket ws, CancellationToken ct)
    {
        var checker = new SequenceChecker();
        uint? connection = null;
        long sent = 0;
        byte[] message = new byte[512];
        byte[] reply = new byte[512];
        while (true)
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == message.Length)
                {
                    Array.Resize(ref message, message.Length * 2);
                }

                result = await ws.ReceiveAsync(message.AsMemory(length), ct).ConfigureAwait(false);
                length += result.Count;
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                SequenceStats stats = checker.ToStats(sent);
                Add(stats, connection is null ? "connection closed before sending anything" : null);
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, stats.ToString(), ct).ConfigureAwait(false);
                Interlocked.Increment(ref _closedNormally);
                return;
            }

            if (result.MessageType == WebSocketMessageType.Binary
                && LoadMessage.TryRead(message.AsSpan(0, length), fromServer: false, out uint id, out long sequence)
                && (connection ??= id) == id)
            {
                checker.Observe(sequence);
            }
            else
            {
                checker.ObserveCorrupt();
                connection ??= 0;
            }

            if (reply.Length < length)
            {
                reply = new byte[message.Length];
            }

            int replyLength = Math.Max(LoadMessage.HeaderSize, length);
            LoadMessage.Write(reply, connection.Value, sent, replyLength, fromServer: true);
            await ws.SendAsync(reply.AsMemory(0, replyLength), WebSocketMessageType.Binary, endOfMessage: true, ct).ConfigureAwait(false);
            sent++;
        }
    }

    private void Add(SequenceStats stats, string? error)
    {
        Interlocked.Add(ref _received, stats.Received);
        Interlocked.Add(ref _sent, stats.Sent);
        Interlocked.Add(ref _lost, stats.Missing);
        Interlocked.Add(ref _duplicated, stats.Duplicated);
        Interlocked.Add(ref _reordered, stats.Reordered);
        Interlocked.Add(ref _corrupt, stats.Corrupt);
        if (error is not null)
        {
            Interlocked.CompareExchange(ref _firstError, error, null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Connections that did not finish in time are dropped by DisposeAsync below.
            }

            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }
}

/// <summary>A server's totals and resources at one moment (its missing count is gaps only; the client adds the tail).</summary>
internal sealed record ServerSample(
    long Accepted,
    long Active,
    long ClosedNormally,
    long Failed,
    long Received,
    long Sent,
    long Missing,
    long Duplicated,
    long Reordered,
    long Corrupt,
    TimeSpan Cpu,
    long WorkingSet,
    long GcHeap,
    string? FirstError)
{
    /// <summary>One line, for a server in another process to print.</summary>
    public string ToLine() => string.Create(
        CultureInfo.InvariantCulture,
        $"stats accepted={Accepted} active={Active} closed={ClosedNormally} failed={Failed} received={Received} sent={Sent} missing={Missing} duplicated={Duplicated} reordered={Reordered} corrupt={Corrupt} cpu={Cpu.TotalSeconds:R} ws={WorkingSet} heap={GcHeap} error={Uri.EscapeDataString(FirstError ?? "")}");

    public static ServerSample Parse(string line)
    {
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        long L(string key) => long.Parse(values[key], CultureInfo.InvariantCulture);
        string error = Uri.UnescapeDataString(values["error"]);
        return new ServerSample(
            L("accepted"), L("active"), L("closed"), L("failed"), L("received"), L("sent"), L("missing"), L("duplicated"), L("reordered"), L("corrupt"),
            TimeSpan.FromSeconds(double.Parse(values["cpu"], CultureInfo.InvariantCulture)), L("ws"), L("heap"), error.Length == 0 ? null : error);
    }
}
