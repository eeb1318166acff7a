using Whatwg.WebSockets.Tests.Peers;
using Whatwg.WebSockets.Tests.Support;

namespace Whatwg.WebSockets.Tests.Api;

/// <summary>
/// Events wait for the first listener: a browser runs events only after the script that created the socket
/// has finished, so handlers set after the constructor see everything; here the dispatcher holds events
/// until a listener is attached (or ReadyState or an awaitable is read), at most a second after the connection attempt.
/// </summary>
public sealed class EventHoldTests
{
    [Fact]
    public async Task ServerSpeaksFirst_HandlersAttachedAfterTheConnectionOpened_StillSeeOpenAndTheMessage()
    {
        await using var server = ScriptedServer.Start(async conn =>
        {
            HandshakeRequest request = await conn.ReadHandshakeAsync();
            byte[] accept = ScriptedServer.Accept(request);
            await conn.WriteAsync([.. accept, .. ScriptedServer.Frame(0x1, "first words")]);   // 101 and a message in one write
            await conn.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        });
        await using var socket = new WebSocket(server.Url("/").ToString(), null, TestOptions.Quiet());
        await Task.Delay(40);   // long enough for the handshake and the message to arrive on loopback
        var events = new List<string>();
        var message = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnOpen = e => events.Add("open");
        socket.OnMessage = e =>
        {
            events.Add("message");
            message.TrySetResult(e.Text);
        };
        string text;
        try
        {
            text = await message.Task.WaitAsync(EventLog.Timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no message: events=[{string.Join(", ", events)}], handler error={server.HandlerError?.Message ?? "none"}, WhenOpen={socket.WhenOpen.Status}");
            throw;
        }

        Assert.Equal("first words", text);
        Assert.Equal(["open", "message"], events);
    }

    [Fact]
    public async Task NoListenerEver_EventsStillRunSoWhenClosedCompletes()
    {
        var socket = new WebSocket("ws://127.0.0.1:9/", null, TestOptions.Quiet(o => o.ConnectTimeout = TimeSpan.FromSeconds(2)));
        await Task.Delay(2500);   // refused at once; the one-second hold limit then lets the events run

        // This read would release the events too, but they already ran: the state is CLOSED, not CONNECTING.
        Assert.Equal(WebSocketReadyState.Closed, socket.ReadyState);
        CloseEvent close = await socket.WhenClosed.WaitAsync(EventLog.Timeout);
        Assert.Equal(1006, close.Code);
    }
}
