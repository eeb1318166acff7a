using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Engine;

/// <summary>
/// RFC 6455 §5.5.2 (Ping) and §5.5.3 (Pong): "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame
/// in response, unless it already received a Close frame", with "identical Application data".
/// </summary>
public class PingPongTests
{
    private static ProtocolEngine NewEngine() => new(1024, new FixedMaskKeySource("37fa213d"));

    private static string Output(ProtocolEngine engine) => Hex.Of(engine.Output.WrittenSpan);

    [Theory]
    [InlineData("", "8a 80 37 fa 21 3d")]
    [InlineData("01 02 03", "8a 83 37 fa 21 3d 36 f8 22")]
    [InlineData("48 65 6c 6c 6f", "8a 85 37 fa 21 3d 7f 9f 4d 51 58")]
    public void OnPingReceived_Payload_WritesPongWithSamePayload(string payload, string pong)
    {
        ProtocolEngine engine = NewEngine();

        Assert.True(engine.OnPingReceived(Hex.Bytes(payload)));

        Assert.Equal(Hex.Normalize(pong), Output(engine));
        Assert.Equal(0, engine.OutputPayloadBytes);
        Assert.Equal(EngineState.Open, engine.State);
    }

    [Fact]
    public void OnPingReceived_125Bytes_WritesFullPong()
    {
        var engine = new ProtocolEngine(1024, new FixedMaskKeySource("00000000"));
        byte[] payload = new byte[125];
        new Random(125).NextBytes(payload);

        engine.OnPingReceived(payload);

        Assert.Equal(Hex.Normalize("8a fd 00 00 00 00") + Hex.Of(payload), Output(engine));
    }

    [Fact]
    public void OnPingReceived_AfterCloseSent_WritesNoPong()
    {
        ProtocolEngine engine = NewEngine();
        engine.StartClosingHandshake(1000, default);
        string afterClose = Output(engine);

        engine.OnPingReceived([1, 2]);

        Assert.Equal(afterClose, Output(engine));
    }

    [Fact]
    public void OnPingReceived_AfterCloseReceived_WritesNoPong()
    {
        ProtocolEngine engine = NewEngine();
        engine.OnCloseReceived(1000, string.Empty);
        string afterEcho = Output(engine);

        engine.OnPingReceived([1, 2]);

        Assert.Equal(afterEcho, Output(engine));
    }

    [Fact]
    public void Receiver_PingBetweenFragments_EngineRepliesPongAndMessageSurvives()
    {
        ProtocolEngine engine = NewEngine();
        byte[] input = Hex.Bytes("01 03 48 65 6c 89 02 01 02 80 02 6c 6f");
        ReadOnlySpan<byte> data = input;
        var events = new List<string>();

        while (!data.IsEmpty)
        {
            var status = engine.Receiver.Read(data, out int consumed, out ReceivedFrame frame, out _);
            data = data.Slice(consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                break;
            }

            events.Add(ReceiverHarness.Describe(frame));
            if (frame.Kind == ReceivedKind.Ping)
            {
                engine.OnPingReceived(frame.Bytes);
            }
        }

        Assert.Equal("Ping:0102|Text:Hello", string.Join("|", events));
        Assert.Equal(Hex.Normalize("8a 82 37 fa 21 3d 36 f8"), Output(engine));
    }

    [Fact]
    public void Read_PingAndPongPayloads_AreCopiedExactly()
    {
        Assert.Equal("Ping:" + Hex.Of(new byte[125]), string.Join("|", ReceiverHarness.Feed("89 7d" + Hex.Of(new byte[125]))));
        Assert.Equal("Pong:ff00ff", string.Join("|", ReceiverHarness.Feed("8a 03 ff 00 ff")));
    }
}
