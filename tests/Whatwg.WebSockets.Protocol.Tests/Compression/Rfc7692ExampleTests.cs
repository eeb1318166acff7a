using System.Buffers;
using System.Text;
using Whatwg.WebSockets.Protocol.Compression;
using Whatwg.WebSockets.Protocol.Tests.Support;

namespace Whatwg.WebSockets.Protocol.Tests.Compression;

/// <summary>
/// The worked examples of RFC 7692 §7.2.3, byte for byte: what our deflater sends for them, and that our inflater
/// reads every form the section shows (fragmented, sharing the window, stored, BFINAL, two blocks, empty).
/// </summary>
public class Rfc7692ExampleTests
{
    private static readonly byte[] s_hello = Encoding.ASCII.GetBytes("Hello");

    private static Inflater NewInflater(bool noContextTakeover = false) => new(15, noContextTakeover, DeflateHarness.DefaultMaxMessageSize);

    [Fact]
    public void Compress_Hello_IsTheExamplePayload()
    {
        // §7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00 00 00 ff ff; the tail is stripped.
        using var deflater = new Deflater(15, noContextTakeover: false);

        Assert.Equal(Hex.Normalize("f2 48 cd c9 c9 07 00"), Hex.Of(DeflateHarness.Compress(deflater, s_hello)));
    }

    [Fact]
    public void Inflate_HelloInTwoFragments_GivesHello()
    {
        // §7.2.3.1: the same payload sent as fragments of 3 and 4 octets.
        using Inflater inflater = NewInflater();

        byte[] message = DeflateHarness.Inflate(inflater, Hex.Bytes("f2 48 cd"), Hex.Bytes("c9 c9 07 00"));

        Assert.Equal("Hello", Encoding.ASCII.GetString(message));
    }

    [Fact]
    public void Compress_HelloTwiceWithoutContextTakeover_GivesTheSameBytesTwice()
    {
        // §7.2.3.2: with client_no_context_takeover the second message compresses "into the same bytes".
        using var deflater = new Deflater(15, noContextTakeover: true);

        string first = Hex.Of(DeflateHarness.Compress(deflater, s_hello));
        string second = Hex.Of(DeflateHarness.Compress(deflater, s_hello));

        Assert.Equal(Hex.Normalize("f2 48 cd c9 c9 07 00"), first);
        Assert.Equal(Hex.Normalize("f2 48 cd c9 c9 07 00"), second);
    }

    [Fact]
    public void Compress_HelloTwiceWithContextTakeover_SecondRefersToTheFirst()
    {
        // §7.2.3.2: without it, the second message is a back-reference into the shared window: f2 00 11 00 00.
        using var deflater = new Deflater(15, noContextTakeover: false);

        string first = Hex.Of(DeflateHarness.Compress(deflater, s_hello));
        string second = Hex.Of(DeflateHarness.Compress(deflater, s_hello));

        Assert.Equal(Hex.Normalize("f2 48 cd c9 c9 07 00"), first);
        Assert.Equal(Hex.Normalize("f2 00 11 00 00"), second);
    }

    [Fact]
    public void Inflate_SharingExample_GivesHelloTwice()
    {
        using Inflater inflater = NewInflater();

        byte[] first = DeflateHarness.Inflate(inflater, Hex.Bytes("f2 48 cd c9 c9 07 00"));
        byte[] second = DeflateHarness.Inflate(inflater, Hex.Bytes("f2 00 11 00 00"));

        Assert.Equal("Hello", Encoding.ASCII.GetString(first));
        Assert.Equal("Hello", Encoding.ASCII.GetString(second));
    }

    [Fact]
    public void Inflate_SharingExampleWithoutContextTakeover_FailsOnTheBackReference()
    {
        // With server_no_context_takeover the window is emptied after each message: the reference points nowhere.
        using Inflater inflater = NewInflater(noContextTakeover: true);
        DeflateHarness.Inflate(inflater, Hex.Bytes("f2 48 cd c9 c9 07 00"));
        using var output = new PooledBufferWriter();

        OperationStatus status = inflater.Inflate(Hex.Bytes("f2 00 11 00 00"), true, output, out ProtocolViolation violation);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(ProtocolViolation.DecompressionFailed, violation);
    }

    [Fact]
    public void Compress_HelloAtLevelZero_IsTheStoredBlockExample()
    {
        // §7.2.3.3: a DEFLATE block with no compression: 00 05 00 fa ff 48 65 6c 6c 6f 00.
        using var deflater = new Deflater(15, noContextTakeover: true, compressionLevel: 0);

        Assert.Equal(Hex.Normalize("00 05 00 fa ff 48 65 6c 6c 6f 00"), Hex.Of(DeflateHarness.Compress(deflater, s_hello)));
    }

    [Fact]
    public void Inflate_StoredBlockExample_GivesHello()
    {
        using Inflater inflater = NewInflater();

        Assert.Equal("Hello", Encoding.ASCII.GetString(DeflateHarness.Inflate(inflater, Hex.Bytes("00 05 00 fa ff 48 65 6c 6c 6f 00"))));
    }

    [Fact]
    public void Inflate_BfinalExampleThenAnotherMessage_GivesBoth()
    {
        // §7.2.3.4: a block with BFINAL set, then one octet of header bits so the tail still parses. The deflate
        // stream ends with it; the next message starts a new one.
        using Inflater inflater = NewInflater();

        byte[] first = DeflateHarness.Inflate(inflater, Hex.Bytes("f3 48 cd c9 c9 07 00 00"));
        byte[] second = DeflateHarness.Inflate(inflater, Hex.Bytes("f2 48 cd c9 c9 07 00"));

        Assert.Equal("Hello", Encoding.ASCII.GetString(first));
        Assert.Equal("Hello", Encoding.ASCII.GetString(second));
    }

    [Fact]
    public void Inflate_TwoBlocksExample_GivesHello()
    {
        // §7.2.3.5: "He" and "llo" in two blocks, the first flushed with its own empty stored block.
        using Inflater inflater = NewInflater();

        byte[] message = DeflateHarness.Inflate(inflater, Hex.Bytes("f2 48 05 00 00 00 ff ff ca c9 c9 07 00"));

        Assert.Equal("Hello", Encoding.ASCII.GetString(message));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Compress_EmptyMessage_IsOneZeroOctet(bool noContextTakeover)
    {
        // §7.2.3.6: an empty stored block's header bits and padding, 0x00; also after earlier messages.
        using var deflater = new Deflater(15, noContextTakeover);

        string fresh = Hex.Of(DeflateHarness.Compress(deflater, []));
        DeflateHarness.Compress(deflater, s_hello);
        string afterMessage = Hex.Of(DeflateHarness.Compress(deflater, []));

        Assert.Equal("00", fresh);
        Assert.Equal("00", afterMessage);
    }

    [Fact]
    public void Inflate_EmptyFragmentExample_GivesEmptyMessageAndKeepsTheWindow()
    {
        using Inflater inflater = NewInflater();
        DeflateHarness.Inflate(inflater, Hex.Bytes("f2 48 cd c9 c9 07 00"));

        byte[] empty = DeflateHarness.Inflate(inflater, Hex.Bytes("00"));
        byte[] again = DeflateHarness.Inflate(inflater, Hex.Bytes("f2 00 11 00 00"));

        Assert.Empty(empty);
        Assert.Equal("Hello", Encoding.ASCII.GetString(again));
    }

    [Fact]
    public void Inflate_EmptyPayload_GivesEmptyMessageAndKeepsTheStreamIntact()
    {
        // Not something a deflater produces; read as no data rather than as the start of a stored block.
        using Inflater inflater = NewInflater();
        DeflateHarness.Inflate(inflater, Hex.Bytes("f2 48 cd c9 c9 07 00"));

        byte[] empty = DeflateHarness.Inflate(inflater, []);
        byte[] emptyInPieces = DeflateHarness.Inflate(inflater, [], [], []);
        byte[] again = DeflateHarness.Inflate(inflater, Hex.Bytes("f2 00 11 00 00"));

        Assert.Empty(empty);
        Assert.Empty(emptyInPieces);
        Assert.Equal("Hello", Encoding.ASCII.GetString(again));
    }

    [Fact]
    public void Inflate_EveryOctetAsItsOwnChunk_GivesHello()
    {
        using Inflater inflater = NewInflater();
        byte[] payload = Hex.Bytes("f2 48 05 00 00 00 ff ff ca c9 c9 07 00");

        byte[] message = DeflateHarness.Inflate(inflater, [.. payload.Select(b => new[] { b }), []]);

        Assert.Equal("Hello", Encoding.ASCII.GetString(message));
    }
}
