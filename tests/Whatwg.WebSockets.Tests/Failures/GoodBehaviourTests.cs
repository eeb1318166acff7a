using Whatwg.WebSockets.Tests.Peers;

namespace Whatwg.WebSockets.Tests.Failures;

/// <summary>
/// Legal but less common server behaviour is accepted, so the strictness of the other tests is not
/// over-eager: pings, server-initiated close, unsolicited pongs, control frames between fragments.
/// </summary>
public sealed class GoodBehaviourTests
{
    private static readonly TimeSpan s_wait = FailureEventLog.Wait;

    /// <summary>The server closes with 1000 and waits for the echo, then closes TCP.</summary>
    private static async Task<Frame> CloseFromServerAsync(ScriptedConnection conn, ushort code = 1000, string reason = "")
    {
        await conn.WriteAsync(ScriptedServer.CloseFrame(code, reason));
        return await conn.ReadFrameAsync();
    }

    [Fact]
    public async Task Ping_gets_masked_pong_with_same_payload()
    {
        Frame? pong = null;
        Frame? echo = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync(ScriptedServer.Frame(0x9, "are you there?"));
            pong = await conn.ReadFrameAsync();
            echo = await CloseFromServerAsync(conn);
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        Assert.NotNull(pong);
        Assert.Equal(0xA, pong.Opcode);
        Assert.True(pong.Fin);
        Assert.True(pong.WasMasked);
        Assert.Equal("are you there?", pong.Text);
        FailureEventLog.AssertCloseFrame(echo, 1000);
        log.AssertClean(1000, string.Empty);
    }

    [Fact]
    public async Task Server_close_is_echoed_and_clean()
    {
        Frame? echo = null;
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            echo = await CloseFromServerAsync(conn, 1000, "bye");

            // Returning sends FIN: the server closes TCP first (RFC 6455 §7.1.1).
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        CloseEvent close = await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);

        FailureEventLog.AssertCloseFrame(echo, 1000);
        Assert.True(close.WasClean);
        Assert.Equal(1000, close.Code);
        Assert.Equal("bye", close.Reason);
        log.AssertClean(1000, "bye");
        Assert.Equal(["open", "close"], log.Types);
    }

    [Fact]
    public async Task Unsolicited_pong_is_ignored()
    {
        Frame? echo = null;
        var messageSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync(ScriptedServer.Frame(0xA, "unsolicited"));
            await conn.WriteAsync(ScriptedServer.Frame(0x1, "still here"));
            await messageSeen.Task.WaitAsync(TimeSpan.FromSeconds(5));
            echo = await CloseFromServerAsync(conn);
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        MessageEvent message = await log.ReceiveAsync();
        messageSeen.TrySetResult();
        Assert.Equal("still here", message.Text);

        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);
        FailureEventLog.AssertCloseFrame(echo, 1000);
        log.AssertClean(1000, string.Empty);
        Assert.Equal(["open", "message", "close"], log.Types);
    }

    [Fact]
    public async Task Fragmented_text_with_interleaved_ping_arrives_as_one_message()
    {
        Frame? pong = null;
        Frame? echo = null;
        var messageSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ScriptedServer.Start(async conn =>
        {
            await FailureEventLog.AcceptAsync(conn);
            await conn.WriteAsync(ScriptedServer.Frame(0x1, "Hel", fin: false));
            await conn.WriteAsync(ScriptedServer.Frame(0x9, "between"));
            await conn.WriteAsync(ScriptedServer.Frame(0x0, "lo, w", fin: false));
            await conn.WriteAsync(ScriptedServer.Frame(0x0, "orld"));
            pong = await conn.ReadFrameAsync();
            await messageSeen.Task.WaitAsync(TimeSpan.FromSeconds(5));
            echo = await CloseFromServerAsync(conn);
        });

        await using var ws = EventGate.Hold(() => new WebSocket(server.BaseUri, null, FailureEventLog.Options()), out EventGate gate);
        var log = new FailureEventLog(ws);
        gate.Release();
        MessageEvent message = await log.ReceiveAsync();
        messageSeen.TrySetResult();
        Assert.Equal("Hello, world", message.Text);

        await log.WaitForCloseAsync();
        await server.Completion.WaitAsync(s_wait);
        Assert.NotNull(pong);
        Assert.Equal(0xA, pong.Opcode);
        Assert.True(pong.WasMasked);
        Assert.Equal("between", pong.Text);
        FailureEventLog.AssertCloseFrame(echo, 1000);
        log.AssertClean(1000, string.Empty);
        Assert.Single(log.Messages);
    }
}
