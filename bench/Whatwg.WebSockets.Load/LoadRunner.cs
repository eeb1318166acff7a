using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Whatwg.WebSockets.Load;

/// <summary>What a load run does.</summary>
internal sealed record LoadSettings
{
    /// <summary>Connections opened and kept for the whole run.</summary>
    public int Connections { get; init; } = 1000;

    /// <summary>How long every connection exchanges messages once all are open.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Each connection sends <see cref="Burst"/> messages every <see cref="Interval"/> (first one at a random phase).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(100);

    public int Burst { get; init; } = 1;

    /// <summary>
    /// The most messages a connection may have unanswered: a tick that would pass it is skipped (and counted), so an
    /// overloaded machine lowers the rate instead of queueing without bound.
    /// </summary>
    public int Window { get; init; } = 16;

    /// <summary>Message sizes in bytes, header included (at least 16).</summary>
    public int MinSize { get; init; } = 32;

    public int MaxSize { get; init; } = 256;

    /// <summary>How many opening handshakes may be under way at once.</summary>
    public int ConnectConcurrency { get; init; } = 64;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The client's close timeout: how long the server may take to answer the close and end TCP.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long, after the last send, a connection waits for the replies to its messages before it closes anyway.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The client's keep-alive ping interval (the library's default, 20 s); zero turns keep-alive off.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(20);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Connections} connections x {Duration.TotalSeconds:0.#} s, {Burst} message(s) of {MinSize}-{MaxSize} bytes every {Interval.TotalMilliseconds:0.#} ms per connection, at most {Window} unanswered");
}

/// <summary>The client's side of a load run: opens the connections, paces the messages, checks every reply, collects the server's counts.</summary>
internal static class LoadRunner
{
    /// <param name="url">The server's /load address.</param>
    /// <param name="settings">What to do.</param>
    /// <param name="serverSample">Samples the server's totals and resources (null: not known, e.g. a remote server).</param>
    /// <param name="serverInProcess">The server runs in this process (its CPU and memory are in the client's figures).</param>
    /// <param name="progress">Where to write progress lines (null: nowhere).</param>
    public static async Task<LoadReport> RunAsync(
        Uri url, LoadSettings settings, Func<Task<ServerSample>>? serverSample, bool serverInProcess, TextWriter? progress, CancellationToken cancellationToken = default)
    {
        var report = new LoadReport { Settings = settings, ServerInProcess = serverInProcess };
        var options = new WebSocketOptions
        {
            ConnectTimeout = settings.ConnectTimeout,
            CloseTimeout = settings.CloseTimeout,
            Dispatch = EventDispatch.ThreadPool,
            Compression = null,
            KeepAliveInterval = settings.KeepAliveInterval,
        };

        var wall = Stopwatch.StartNew();
        ServerSample? server0 = serverSample is null ? null : await serverSample().ConfigureAwait(false);
        ResourceSample client0 = ResourceSample.Take();

        // 1. Open every connection, a limited number of handshakes at a time.
        var clients = new LoadClient[settings.Connections];
        using (var gate = new SemaphoreSlim(settings.ConnectConcurrency))
        {
            await Task.WhenAll(Enumerable.Range(0, settings.Connections).Select(async i =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    clients[i] = await LoadClient.OpenAsync((uint)i, url, options, settings).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }

        LoadClient[] open = [.. clients.Where(c => c.Opened)];
        report.Opened = open.Length;
        report.OpenFailures = clients.Length - open.Length;
        report.FirstOpenError = clients.Select(c => c.OpenError).FirstOrDefault(e => e is not null);
        report.ConnectTime = wall.Elapsed;
        progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"opened {open.Length} of {clients.Length} in {wall.Elapsed.TotalSeconds:0.0} s"));

        ResourceSample clientIdle = ResourceSample.Take();
        ServerSample? serverIdle = serverSample is null ? null : await serverSample().ConfigureAwait(false);
        report.ClientIdle = clientIdle - client0;
        report.ServerIdle = Delta(serverIdle, server0);

        // 2. Exchange for the duration; sample memory once a second (the peak is reported).
        var exchange = Stopwatch.StartNew();
        DateTime deadline = DateTime.UtcNow + settings.Duration;
        Task sending = Task.WhenAll(open.Select(c => c.SendUntilAsync(deadline, cancellationToken)));
        long peakWorkingSet = clientIdle.WorkingSet;
        ServerSample? serverPeak = serverIdle;
        TimeSpan nextProgress = TimeSpan.FromSeconds(10);
        while (!sending.IsCompleted)
        {
            await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken)).ConfigureAwait(false);
            peakWorkingSet = Math.Max(peakWorkingSet, ResourceSample.Take(collect: false).WorkingSet);
            if (serverSample is not null)
            {
                ServerSample now = await serverSample().ConfigureAwait(false);
                if (serverPeak is null || now.WorkingSet > serverPeak.WorkingSet)
                {
                    serverPeak = now;
                }
            }

            if (progress is not null && exchange.Elapsed >= nextProgress)
            {
                nextProgress += TimeSpan.FromSeconds(10);
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{exchange.Elapsed.TotalSeconds:0} s: sent {open.Sum(c => c.Sent)}, replies {open.Sum(c => c.RepliesReceived)}"));
            }
        }

        await sending.ConfigureAwait(false);
        report.ExchangeTime = exchange.Elapsed;
        report.ClientPeakWorkingSet = peakWorkingSet - client0.WorkingSet;
        report.ServerPeakWorkingSet = serverPeak is null || server0 is null ? null : serverPeak.WorkingSet - server0.WorkingSet;

        // 3. Wait for every reply, close, and collect the server's counts from the close reasons.
        var closing = Stopwatch.StartNew();
        await Task.WhenAll(open.Select(c => c.DrainAndCloseAsync(settings.DrainTimeout))).ConfigureAwait(false);
        report.CloseTime = closing.Elapsed;
        progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"closed in {closing.Elapsed.TotalSeconds:0.0} s"));

        ResourceSample client1 = ResourceSample.Take(collect: false);
        ServerSample? server1 = serverSample is null ? null : await serverSample().ConfigureAwait(false);
        report.Wall = wall.Elapsed;
        report.ClientCpu = client1.Cpu - client0.Cpu;
        report.ServerCpu = server1 is null || server0 is null ? null : server1.Cpu - server0.Cpu;
        report.ServerTotals = Delta(server1, server0);
        report.Collect(open);

        foreach (LoadClient client in clients)
        {
            client.Dispose();
        }

        return report;
    }

    private static ServerSample? Delta(ServerSample? now, ServerSample? then) => now is null || then is null ? null : now with
    {
        Accepted = now.Accepted - then.Accepted,
        ClosedNormally = now.ClosedNormally - then.ClosedNormally,
        Failed = now.Failed - then.Failed,
        Received = now.Received - then.Received,
        Sent = now.Sent - then.Sent,
        Missing = now.Missing - then.Missing,
        Duplicated = now.Duplicated - then.Duplicated,
        Reordered = now.Reordered - then.Reordered,
        Corrupt = now.Corrupt - then.Corrupt,
        Cpu = now.Cpu - then.Cpu,
        WorkingSet = now.WorkingSet - then.WorkingSet,
        GcHeap = now.GcHeap - then.GcHeap,
    };
}

/// <summary>One client connection of a load run and what it saw.</summary>
internal sealed class LoadClient : IDisposable
{
    private readonly object _lock = new();
    private readonly SequenceChecker _replies = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LoadSettings _settings;
    private readonly byte[] _buffer;
    private long _sent;
    private long _skipped;
    private bool _sendingDone;
    private string? _firstError;

    private LoadClient(uint id, WebSocket socket, LoadSettings settings)
    {
        Id = id;
        Socket = socket;
        _settings = settings;
        _buffer = new byte[Math.Max(LoadMessage.HeaderSize, settings.MaxSize)];
        socket.BinaryType = BinaryType.ArrayBuffer;
        socket.OnMessage = OnMessage;
        socket.OnError = e => Note($"error event: {e.Message}");
    }

    public uint Id { get; }

    public WebSocket Socket { get; }

    public bool Opened { get; private set; }

    public string? OpenError { get; private set; }

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Ticks skipped because <see cref="LoadSettings.Window"/> messages were unanswered.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    public long RepliesReceived
    {
        get
        {
            lock (_lock)
            {
                return _replies.Received;
            }
        }
    }

    public CloseEvent? Close { get; private set; }

    public string? FirstError => Volatile.Read(ref _firstError);

    public SequenceStats Replies
    {
        get
        {
            lock (_lock)
            {
                return _replies.ToStats(Sent);
            }
        }
    }

    public static async Task<LoadClient> OpenAsync(uint id, Uri url, WebSocketOptions options, LoadSettings settings)
    {
        var client = new LoadClient(id, new WebSocket(url, null, options), settings);
        try
        {
            await client.Socket.WhenOpen.ConfigureAwait(false);
            client.Opened = true;
        }
        catch (Exception ex)
        {
            client.OpenError = $"{ex.GetType().Name}: {ex.Message}";
        }

        return client;
    }

    /// <summary>Sends bursts of messages at the set interval (a fixed schedule, starting at a random phase) until <paramref name="deadline"/>.</summary>
    public async Task SendUntilAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        TimeSpan interval = _settings.Interval;
        await Task.Delay(TimeSpan.FromTicks(Random.Shared.NextInt64(Math.Max(1, interval.Ticks))), cancellationToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(interval);
        do
        {
            if (DateTime.UtcNow >= deadline || Socket.ReadyState != WebSocketReadyState.Open)
            {
                break;
            }

            if (Interlocked.Read(ref _sent) + _settings.Burst - RepliesReceived > _settings.Window)
            {
                Interlocked.Increment(ref _skipped);
                continue;
            }

            for (int i = 0; i < _settings.Burst; i++)
            {
                long sequence = Interlocked.Read(ref _sent);
                int length = LoadMessage.LengthFor(Id, sequence, _settings.MinSize, _settings.MaxSize);
                LoadMessage.Write(_buffer, Id, sequence, length, fromServer: false);
                Socket.Send(_buffer.AsSpan(0, length));
                Interlocked.Increment(ref _sent);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));

        if (Socket.ReadyState != WebSocketReadyState.Open)
        {
            Note($"the connection left OPEN while sending ({Socket.ReadyState})");
        }

        lock (_lock)
        {
            _sendingDone = true;
            CheckDrained();
        }
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) for a reply to every message sent, then closes with 1000.</summary>
    public async Task DrainAndCloseAsync(TimeSpan timeout)
    {
        try
        {
            await _drained.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Note($"replies still missing after {timeout.TotalSeconds} s: {RepliesReceived} of {Sent}");
        }

        Socket.Close(1000);
        Close = await Socket.WhenClosed.ConfigureAwait(false);
    }

    private void OnMessage(MessageEvent e)
    {
        lock (_lock)
        {
            if (e.Data is byte[] data && LoadMessage.TryRead(data, fromServer: true, out uint id, out long sequence) && id == Id)
            {
                _replies.Observe(sequence);
            }
            else
            {
                _replies.ObserveCorrupt();
            }

            CheckDrained();
        }
    }

    private void CheckDrained()
    {
        if (_sendingDone && _replies.Received >= Interlocked.Read(ref _sent))
        {
            _drained.TrySetResult();
        }
    }

    private void Note(string error) => Interlocked.CompareExchange(ref _firstError, $"connection {Id}: {error}", null);

    public void Dispose() => Socket.Dispose();
}

/// <summary>This process's CPU time, working set and GC heap at one moment.</summary>
internal readonly record struct ResourceSample(TimeSpan Cpu, long WorkingSet, long GcHeap)
{
    public static ResourceSample Take(bool collect = true)
    {
        long heap = GC.GetTotalMemory(forceFullCollection: collect);
        using var self = Process.GetCurrentProcess();
        return new ResourceSample(self.TotalProcessorTime, self.WorkingSet64, heap);
    }

    public static ResourceSample operator -(ResourceSample a, ResourceSample b) => new(a.Cpu - b.Cpu, a.WorkingSet - b.WorkingSet, a.GcHeap - b.GcHeap);
}

/// <summary>The outcome of a load run: what both sides counted, and what it cost.</summary>
internal sealed class LoadReport
{
    public required LoadSettings Settings { get; init; }

    public bool ServerInProcess { get; init; }

    public int Opened { get; set; }

    public int OpenFailures { get; set; }

    public string? FirstOpenError { get; set; }

    /// <summary>Connections whose close event was clean with code 1000.</summary>
    public int ClosedCleanly { get; private set; }

    public int NotClean { get; private set; }

    /// <summary>Connections whose close reason did not carry the server's counts.</summary>
    public int WithoutServerCounts { get; private set; }

    public string? FirstProblem { get; private set; }

    /// <summary>Connections not closed cleanly, by the failure their close event carried.</summary>
    public SortedDictionary<string, int> FailureKinds { get; } = new(StringComparer.Ordinal);

    public long ClientSent { get; private set; }

    /// <summary>Send ticks skipped because the connection's window of unanswered messages was full.</summary>
    public long SkippedTicks { get; private set; }

    /// <summary>Messages sent on connections without the server's counts (not verified).</summary>
    public long UnverifiedSent { get; private set; }

    public long ServerReceived { get; private set; }

    public long ClientToServerLost { get; private set; }

    public long ClientToServerDuplicated { get; private set; }

    public long ClientToServerReordered { get; private set; }

    public long ClientToServerCorrupt { get; private set; }

    public long ServerSent { get; private set; }

    public long ClientReceived { get; private set; }

    public long ServerToClientLost { get; private set; }

    public long ServerToClientDuplicated { get; private set; }

    public long ServerToClientReordered { get; private set; }

    public long ServerToClientCorrupt { get; private set; }

    public TimeSpan ConnectTime { get; set; }

    public TimeSpan ExchangeTime { get; set; }

    public TimeSpan CloseTime { get; set; }

    public TimeSpan Wall { get; set; }

    /// <summary>Client process: growth from before the first connection to all connections open (after a full GC).</summary>
    public ResourceSample ClientIdle { get; set; }

    public long ClientPeakWorkingSet { get; set; }

    public TimeSpan ClientCpu { get; set; }

    public ServerSample? ServerIdle { get; set; }

    public long? ServerPeakWorkingSet { get; set; }

    public TimeSpan? ServerCpu { get; set; }

    /// <summary>The server's own totals over the run (null: not known).</summary>
    public ServerSample? ServerTotals { get; set; }

    public long Lost => ClientToServerLost + ServerToClientLost;

    public long Duplicated => ClientToServerDuplicated + ServerToClientDuplicated;

    public long Reordered => ClientToServerReordered + ServerToClientReordered;

    public long Corrupt => ClientToServerCorrupt + ServerToClientCorrupt;

    /// <summary>Everything that went wrong, or none: the run's verdict.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Check(bool ok, string what)
        {
            if (!ok)
            {
                problems.Add(what);
            }
        }

        Check(Opened == Settings.Connections, $"{OpenFailures} of {Settings.Connections} connections did not open (first: {FirstOpenError})");
        Check(ClosedCleanly == Opened, $"{NotClean} connections did not close cleanly with 1000 ({string.Join(", ", FailureKinds.Select(k => $"{k.Key}: {k.Value}"))})");
        Check(WithoutServerCounts == 0, $"{WithoutServerCounts} close reasons without the server's counts");
        Check(Lost == 0 && Duplicated == 0 && Reordered == 0 && Corrupt == 0, $"lost {Lost}, duplicated {Duplicated}, reordered {Reordered}, corrupt {Corrupt}");
        Check(ClientSent == ServerReceived && ServerSent == ClientReceived, $"counts differ: client sent {ClientSent}, server received {ServerReceived}; server sent {ServerSent}, client received {ClientReceived}");
        Check(ClientSent > 0, "no message was sent");
        if (ServerTotals is { } server)
        {
            Check(server.Received == ClientSent && server.Sent == ServerSent, $"the server's totals differ: received {server.Received}, sent {server.Sent}");
            Check(server.Failed == 0, $"{server.Failed} server connections failed (first: {server.FirstError})");
        }

        if (FirstProblem is not null)
        {
            problems.Add($"first connection problem: {FirstProblem}");
        }

        return problems;
    }

    internal void Collect(IEnumerable<LoadClient> clients)
    {
        foreach (LoadClient client in clients)
        {
            CloseEvent? close = client.Close;
            if (close is { WasClean: true, Code: 1000 })
            {
                ClosedCleanly++;
            }
            else
            {
                NotClean++;
                FirstProblem ??= $"connection {client.Id}: {close?.ToString() ?? "no close event"}{(close?.Failure is { } failure ? $" ({failure.Failure}: {failure.Message})" : "")}{(client.FirstError is { } first ? $"; {first}" : "")}";
                string kind = close?.Failure?.Failure.ToString() ?? $"code {close?.Code}";
                FailureKinds[kind] = FailureKinds.GetValueOrDefault(kind) + 1;
            }

            if (client.FirstError is { } error)
            {
                FirstProblem ??= error;
            }

            long sent = client.Sent;
            SequenceStats replies = client.Replies;
            SkippedTicks += client.Skipped;
            ClientSent += sent;
            ClientReceived += replies.Received;
            ServerToClientDuplicated += replies.Duplicated;
            ServerToClientReordered += replies.Reordered;
            ServerToClientCorrupt += replies.Corrupt;
            if (close is not null && SequenceStats.TryParse(close.Reason, out SequenceStats server))
            {
                ServerReceived += server.Received;
                ClientToServerLost += server.Lost(sent);
                ClientToServerDuplicated += server.Duplicated;
                ClientToServerReordered += server.Reordered;
                ClientToServerCorrupt += server.Corrupt;
                ServerSent += server.Sent;
                ServerToClientLost += replies.Lost(server.Sent);
            }
            else
            {
                // Without the server's counts neither direction can be told complete: reported as unverified, not as lost.
                WithoutServerCounts++;
                UnverifiedSent += sent;
                FirstProblem ??= $"connection {client.Id}: close reason without the server's counts: \"{close?.Reason}\"";
            }
        }
    }

    public string Format()
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        const double KiB = 1024;
        const double MiB = 1024 * 1024;
        int n = Math.Max(1, Opened);
        Line($"run: {Settings}; server {(ServerInProcess ? "in this process" : "in another process")}");
        Line($"connections: {Settings.Connections} requested, {Opened} opened, {OpenFailures} failed to open, {ClosedCleanly} closed cleanly (1000), {NotClean} not clean");
        Line($"client->server: sent {ClientSent}, server received {ServerReceived}; lost {ClientToServerLost}, duplicated {ClientToServerDuplicated}, reordered {ClientToServerReordered}, corrupt {ClientToServerCorrupt}");
        Line($"server->client: sent {ServerSent}, client received {ClientReceived}; lost {ServerToClientLost}, duplicated {ServerToClientDuplicated}, reordered {ServerToClientReordered}, corrupt {ServerToClientCorrupt}");
        Line($"rate: {ClientSent / Math.Max(0.001, ExchangeTime.TotalSeconds):0} messages/s each way over {ExchangeTime.TotalSeconds:0.0} s; {SkippedTicks} send ticks skipped with the window full");
        if (WithoutServerCounts > 0)
        {
            Line($"unverified: {WithoutServerCounts} connections closed without the server's counts; their {UnverifiedSent} sent messages are in no count above but 'sent'");
        }

        Line($"times: connect {ConnectTime.TotalSeconds:0.0} s, exchange {ExchangeTime.TotalSeconds:0.0} s, drain and close {CloseTime.TotalSeconds:0.0} s, total {Wall.TotalSeconds:0.0} s");
        string who = ServerInProcess ? "client+server process" : "client process";
        Line($"memory per connection ({who}), all open and idle: working set {ClientIdle.WorkingSet / KiB / n:0.0} KiB, GC heap {ClientIdle.GcHeap / KiB / n:0.0} KiB; peak working set under load {ClientPeakWorkingSet / KiB / n:0.0} KiB ({ClientPeakWorkingSet / MiB:0} MiB in all)");
        if (ServerIdle is { } serverIdle && !ServerInProcess)
        {
            Line($"memory per connection (server process), all open and idle: working set {serverIdle.WorkingSet / KiB / n:0.0} KiB, GC heap {serverIdle.GcHeap / KiB / n:0.0} KiB; peak working set under load {(ServerPeakWorkingSet ?? 0) / KiB / n:0.0} KiB");
        }

        string serverCpu = ServerInProcess ? "included" : ServerCpu is { } cpu ? $"{cpu.TotalSeconds:0.0} s" : "not known";
        Line($"cpu: {who} {ClientCpu.TotalSeconds:0.0} s, server {serverCpu} (over {Wall.TotalSeconds:0.0} s of wall time, {Environment.ProcessorCount} cores)");
        IReadOnlyList<string> problems = Problems();
        Line($"verdict: {(problems.Count == 0 ? "ok" : "FAILED")}");
        foreach (string problem in problems)
        {
            Line($"  problem: {problem}");
        }

        return text.ToString();
    }
}
