using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Engine;

/// <summary>
/// RFC 6455 §5.5.1 (Close), §7.1.2 (Start the WebSocket Closing Handshake), §7.1.7 (Fail the WebSocket
/// Connection) and §7.4.1 (the codes a failure maps to), on the engine's state and output bytes.
/// </summary>
public class ClosingHandshakeTests
{
    private const string Key = "37fa213d";

    private static ProtocolEngine NewEngine() => new(1024, new FixedMaskKeySource(Key));

    private static string Output(ProtocolEngine engine) => Hex.Of(engine.Output.WrittenSpan);

    [Fact]
    public void StartClosingHandshake_CodeAndReason_WritesExactCloseFrame()
    {
        ProtocolEngine engine = NewEngine();

        engine.StartClosingHandshake(1000, "bye"u8);

        // 03 e8 62 79 65 masked with 37 fa 21 3d.
        Assert.Equal(Hex.Normalize("88 85 37 fa 21 3d 34 12 43 44 52"), Output(engine));
        Assert.Equal(EngineState.CloseSentByUs, engine.State);
        Assert.True(engine.CloseSent);
        Assert.False(engine.CloseReceived);
        Assert.Equal(0, engine.OutputPayloadBytes);
    }

    [Fact]
    public void StartClosingHandshake_NoCode_WritesEmptyBody()
    {
        ProtocolEngine engine = NewEngine();

        engine.StartClosingHandshake(null, default);

        Assert.Equal(Hex.Normalize("88 80 37 fa 21 3d"), Output(engine));
        Assert.Equal(EngineState.CloseSentByUs, engine.State);
    }

    [Fact]
    public void StartClosingHandshake_LongestReason_FillsControlFrame()
    {
        var engine = new ProtocolEngine(1024, new FixedMaskKeySource("00000000"));
        byte[] reason = new byte[123];
        Array.Fill(reason, (byte)'r');

        engine.StartClosingHandshake(4000, reason);

        Assert.Equal(Hex.Normalize("88 fd 00 00 00 00 0f a0") + Hex.Of(reason), Output(engine));
    }

    [Fact]
    public void StartClosingHandshake_AfterClose_SendsReturnFalseAndWriteNothing()
    {
        ProtocolEngine engine = NewEngine();
        engine.StartClosingHandshake(1000, "bye"u8);
        string afterClose = Output(engine);

        Assert.False(engine.TrySendText("Hello"));
        Assert.False(engine.TrySendBinary([1, 2, 3]));
        Assert.False(engine.TrySendUtf8("x"u8));
        Assert.False(engine.TrySendPing([]));
        engine.StartClosingHandshake(1001, default);
        Assert.False(engine.OnPingReceived([1]));

        Assert.Equal(afterClose, Output(engine));
        Assert.Equal(0, engine.OutputPayloadBytes);
        Assert.Equal(EngineState.CloseSentByUs, engine.State);
    }

    [Fact]
    public void OnCloseReceived_WhenOpen_EchoesCodeWithoutReason()
    {
        ProtocolEngine engine = NewEngine();

        engine.OnCloseReceived(4001, "x");

        // 0f a1 masked with 37 fa.
        Assert.Equal(Hex.Normalize("88 82 37 fa 21 3d 38 5b"), Output(engine));
        Assert.Equal(EngineState.CloseAcknowledged, engine.State);
        Assert.True(engine.CloseSent);
        Assert.True(engine.CloseReceived);
        Assert.Equal(4001, engine.ReceivedCloseCode);
        Assert.Equal("x", engine.ReceivedCloseReason);
    }

    [Fact]
    public void OnCloseReceived_NoStatus_EchoesEmptyBody()
    {
        ProtocolEngine engine = NewEngine();

        engine.OnCloseReceived(CloseCodes.NoStatusReceived, string.Empty);

        Assert.Equal(Hex.Normalize("88 80 37 fa 21 3d"), Output(engine));
        Assert.Equal(EngineState.CloseAcknowledged, engine.State);
        Assert.Equal(1005, engine.ReceivedCloseCode);
    }

    [Fact]
    public void OnCloseReceived_AfterCloseSent_WritesNothingAndAcknowledges()
    {
        ProtocolEngine engine = NewEngine();
        engine.StartClosingHandshake(1000, default);
        string afterClose = Output(engine);

        engine.OnCloseReceived(1000, "ok");

        Assert.Equal(afterClose, Output(engine));
        Assert.Equal(EngineState.CloseAcknowledged, engine.State);
        Assert.Equal("ok", engine.ReceivedCloseReason);
    }

    [Fact]
    public void OnCloseReceived_ThenSends_ReturnFalseAndWriteNothing()
    {
        ProtocolEngine engine = NewEngine();
        engine.OnCloseReceived(1000, string.Empty);
        string afterEcho = Output(engine);

        Assert.False(engine.TrySendText("late"));
        Assert.False(engine.TrySendBinary([1]));
        engine.StartClosingHandshake(1000, default);

        Assert.Equal(afterEcho, Output(engine));
        Assert.Equal(EngineState.CloseAcknowledged, engine.State);
    }

    [Fact]
    public void ReceivedCloseCode_BeforeAnyClose_Is1006()
    {
        Assert.Equal(CloseCodes.AbnormalClosure, NewEngine().ReceivedCloseCode);
    }

    [Theory]
    [InlineData(nameof(ProtocolViolation.InvalidUtf8), 1007, "88 82 37 fa 21 3d 34 15")]
    [InlineData(nameof(ProtocolViolation.InvalidCloseReasonUtf8), 1007, "88 82 37 fa 21 3d 34 15")]
    [InlineData(nameof(ProtocolViolation.DecompressionFailed), 1007, "88 82 37 fa 21 3d 34 15")]
    [InlineData(nameof(ProtocolViolation.MessageTooBig), 1009, "88 82 37 fa 21 3d 34 0b")]
    [InlineData(nameof(ProtocolViolation.MaskedFrame), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.ReservedBitsSet), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.ReservedOpcode), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.ControlFrameTooLong), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.FragmentedControlFrame), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.UnexpectedContinuation), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.ExpectedContinuation), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.NonMinimalLength), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.PayloadLengthTooLarge), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.CloseFrameTooShort), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.InvalidCloseCode), 1002, "88 82 37 fa 21 3d 34 10")]
    [InlineData(nameof(ProtocolViolation.DataAfterClose), 1002, "88 82 37 fa 21 3d 34 10")]
    public void FailConnection_Violation_SendsCloseWithMappedCode(string violationName, int code, string frame)
    {
        var violation = Enum.Parse<ProtocolViolation>(violationName);
        ProtocolEngine engine = NewEngine();

        engine.FailConnection(violation);

        Assert.Equal(code, ProtocolViolationInfo.CloseCodeOf(violation));
        Assert.Equal(Hex.Normalize(frame), Output(engine));
        Assert.Equal(EngineState.Failed, engine.State);
        Assert.Equal(violation, engine.Violation);
        Assert.True(engine.CloseSent);
        Assert.DoesNotContain("no violation", ProtocolViolationInfo.Describe(violation), StringComparison.Ordinal);
    }

    [Fact]
    public void FailConnection_EveryViolation_HasACloseCodeAndDescription()
    {
        foreach (ProtocolViolation violation in Enum.GetValues<ProtocolViolation>())
        {
            if (violation == ProtocolViolation.None)
            {
                continue;
            }

            Assert.Contains(ProtocolViolationInfo.CloseCodeOf(violation), new[] { 1002, 1007, 1009 });
            Assert.NotEqual("no violation", ProtocolViolationInfo.Describe(violation));
        }
    }

    [Fact]
    public void FailConnection_AfterCloseSent_WritesNothingMore()
    {
        ProtocolEngine engine = NewEngine();
        engine.StartClosingHandshake(1000, default);
        string afterClose = Output(engine);

        engine.FailConnection(ProtocolViolation.InvalidUtf8);

        Assert.Equal(afterClose, Output(engine));
        Assert.Equal(EngineState.Failed, engine.State);
        Assert.Equal(ProtocolViolation.InvalidUtf8, engine.Violation);
    }

    [Fact]
    public void FailConnection_AfterCloseReceived_WritesNothingMore()
    {
        ProtocolEngine engine = NewEngine();
        engine.OnCloseReceived(1000, string.Empty);
        string afterEcho = Output(engine);

        engine.FailConnection(ProtocolViolation.ReservedOpcode);

        Assert.Equal(afterEcho, Output(engine));
        Assert.Equal(EngineState.Failed, engine.State);
    }

    [Fact]
    public void FailConnection_Twice_WritesOneCloseAndKeepsFirstCause()
    {
        ProtocolEngine engine = NewEngine();

        engine.FailConnection(ProtocolViolation.MessageTooBig);
        engine.FailConnection(ProtocolViolation.InvalidUtf8);

        Assert.Equal(Hex.Normalize("88 82 37 fa 21 3d 34 0b"), Output(engine));
        Assert.Equal(ProtocolViolation.MessageTooBig, engine.Violation);
    }

    [Fact]
    public void FailConnection_ThenAnything_WritesNothingMore()
    {
        ProtocolEngine engine = NewEngine();
        engine.FailConnection(ProtocolViolation.MaskedFrame);
        string afterFail = Output(engine);

        Assert.False(engine.TrySendText("x"));
        Assert.False(engine.TrySendBinary([1]));
        Assert.False(engine.TrySendPing([]));
        Assert.False(engine.OnPingReceived([1]));
        engine.OnCloseReceived(1000, string.Empty);
        engine.StartClosingHandshake(1000, default);

        Assert.Equal(afterFail, Output(engine));
        Assert.Equal(EngineState.Failed, engine.State);
    }

    [Fact]
    public void Abort_WhenOpen_WritesNothingAndFails()
    {
        ProtocolEngine engine = NewEngine();

        engine.Abort();

        Assert.True(engine.Output.IsEmpty);
        Assert.Equal(EngineState.Failed, engine.State);
        Assert.False(engine.TrySendText("x"));
        engine.StartClosingHandshake(1000, default);
        engine.FailConnection(ProtocolViolation.InvalidUtf8);
        Assert.True(engine.Output.IsEmpty);
    }

    [Fact]
    public void Receiver_CloseFrameFedToEngine_EchoesAndAcknowledges()
    {
        ProtocolEngine engine = NewEngine();
        var events = new List<string>();
        engine.Receiver.Read(Hex.Bytes("88 05 03 e8 62 79 65"), out _, out ReceivedFrame frame, out _);
        events.Add(ReceiverHarness.Describe(frame));

        engine.OnCloseReceived(frame.CloseCode, (string)frame.Data!);

        Assert.Equal("Close:1000:bye", events[0]);
        Assert.Equal(Hex.Normalize("88 82 37 fa 21 3d 34 12"), Output(engine));
        Assert.Equal(EngineState.CloseAcknowledged, engine.State);
        Assert.True(engine.Receiver.CloseReceived);
    }
}
