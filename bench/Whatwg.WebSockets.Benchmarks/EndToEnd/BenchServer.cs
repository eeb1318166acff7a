using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Whatwg.WebSockets.Benchmarks.EndToEnd;

/// <summary>
/// The benchmark's peer: a minimal WebSocket server on raw sockets that reads big and writes big, so that
/// the client is what is measured. It runs in its own process (<c>bench server</c>) so its CPU is not the client's.
/// Paths: <c>/sink</c> reads and discards; <c>/echo</c> echoes every frame (all frames of one read in one write);
/// <c>/flood?size=N&amp;count=M</c> sends M binary messages of N bytes, then a Close.
/// Every path answers a Close frame with a Close and then closes TCP.
/// <c>/echo?deflate=1</c> accepts permessage-deflate (plain "permessage-deflate": both windows 15, context takeover
/// both ways) and reflects every frame as it came, RSV1 included: the client's own compressed stream comes back to
/// its inflater, which is consistent under context takeover, so the server spends no CPU on compression and the
/// client's compression and decompression are what is measured.
/// </summary>
internal static class BenchServer
{
    public static async Task RunAsync(TextWriter announce, CancellationToken stopping)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start(backlog: 4096);
        announce.WriteLine($"listening {((IPEndPoint)listener.LocalEndpoint).Port}");
        announce.Flush();
        while (!stopping.IsCancellationRequested)
        {
            Socket socket = await listener.AcceptSocketAsync(stopping);
            socket.NoDelay = true;
            _ = Task.Run(() => ServeAsync(socket), CancellationToken.None);
        }
    }

    private static async Task ServeAsync(Socket socket)
    {
        try
        {
            (string path, string query, byte[] leftover) = await HandshakeAsync(socket);
            switch (path)
            {
                case "/echo":
                    await PumpAsync(socket, leftover, echo: true);
                    break;
                case "/flood":
                    await FloodAsync(socket, query);
                    break;
                default:
                    await PumpAsync(socket, leftover, echo: false);
                    break;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The client went away.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static async Task<(string Path, string Query, byte[] Leftover)> HandshakeAsync(Socket socket)
    {
        byte[] buffer = new byte[8192];
        int length = 0;
        int end;
        while ((end = IndexOfHeaderEnd(buffer.AsSpan(0, length))) < 0)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("closed during the handshake");
            }

            length += read;
        }

        string head = Encoding.ASCII.GetString(buffer, 0, end);
        string[] lines = head.Split("\r\n");
        string target = lines[0].Split(' ')[1];
        string key = lines.First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        bool offered = lines.Any(l => l.StartsWith("Sec-WebSocket-Extensions:", StringComparison.OrdinalIgnoreCase) && l.Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase));
        string extensions = offered && target.Contains("deflate=1", StringComparison.Ordinal) ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "";
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{extensions}\r\n"), SocketFlags.None);
        int q = target.IndexOf('?', StringComparison.Ordinal);
        return (q < 0 ? target : target[..q], q < 0 ? "" : target[(q + 1)..], buffer.AsSpan(end + 4, length - end - 4).ToArray());
    }

    private static int IndexOfHeaderEnd(ReadOnlySpan<byte> data) => data.IndexOf("\r\n\r\n"u8);

    /// <summary>Reads frames; echoes data frames unmasked when <paramref name="echo"/>; answers Close.</summary>
    private static async Task PumpAsync(Socket socket, byte[] leftover, bool echo)
    {
        byte[] input = new byte[1 << 20];
        byte[] output = new byte[(1 << 20) + 1024];
        leftover.CopyTo(input, 0);
        int length = leftover.Length;
        while (true)
        {
            int read = await socket.ReceiveAsync(input.AsMemory(length), SocketFlags.None);
            if (read == 0)
            {
                return;
            }

            length += read;
            int offset = 0;
            int written = 0;
            bool closed = false;
            while (TryParse(input.AsSpan(offset, length - offset), out int opcode, out bool fin, out int headerSize, out int payloadLength, out uint mask, out byte rsv))
            {
                int total = headerSize + payloadLength;
                if (opcode == 8)
                {
                    Span<byte> payload = input.AsSpan(offset + headerSize, payloadLength);
                    Unmask(payload, mask);
                    written += WriteFrame(output.AsSpan(written), 8, true, payload[..Math.Min(2, payload.Length)], 0);
                    closed = true;
                    offset += total;
                    break;
                }

                if (echo)
                {
                    if (written + total + 16 > output.Length)
                    {
                        await socket.SendAsync(output.AsMemory(0, written), SocketFlags.None);
                        written = 0;
                    }

                    Span<byte> payload = input.AsSpan(offset + headerSize, payloadLength);
                    Unmask(payload, mask);
                    written += WriteFrame(output.AsSpan(written), opcode, fin, payload, rsv);
                }

                offset += total;
            }

            if (written > 0)
            {
                await socket.SendAsync(output.AsMemory(0, written), SocketFlags.None);
            }

            if (closed)
            {
                socket.Shutdown(SocketShutdown.Send);
                while (await socket.ReceiveAsync(input, SocketFlags.None) > 0)
                {
                }

                return;
            }

            // Keep the partial frame at the front; grow the buffer for a frame larger than it.
            input.AsSpan(offset, length - offset).CopyTo(input);
            length -= offset;
            if (length == input.Length)
            {
                Array.Resize(ref input, input.Length * 2);
                Array.Resize(ref output, input.Length + 1024);
            }
        }
    }

    private static async Task FloodAsync(Socket socket, string query)
    {
        var parameters = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        int size = int.Parse(parameters["size"], System.Globalization.CultureInfo.InvariantCulture);
        long count = long.Parse(parameters["count"], System.Globalization.CultureInfo.InvariantCulture);
        byte[] frame = new byte[size + 14];
        int frameLength = WriteFrame(frame, 2, true, new byte[size], 0);

        // Batch whole frames into writes of about 256 KiB.
        int perWrite = Math.Max(1, (256 * 1024) / frameLength);
        byte[] batch = new byte[perWrite * frameLength];
        for (int i = 0; i < perWrite; i++)
        {
            frame.AsSpan(0, frameLength).CopyTo(batch.AsSpan(i * frameLength));
        }

        for (long sent = 0; sent < count;)
        {
            int n = (int)Math.Min(perWrite, count - sent);
            await socket.SendAsync(batch.AsMemory(0, n * frameLength), SocketFlags.None);
            sent += n;
        }

        byte[] close = new byte[4];
        WriteFrame(close, 8, true, [0x03, 0xE8], 0);
        await socket.SendAsync(close, SocketFlags.None);
        // The client sends nothing but its Close frame (6 bytes or more); once it is here the handshake is over
        // and, as RFC 6455 §7.1.1 asks of a server, we close TCP first.
        byte[] sink = new byte[4096];
        int received = 0;
        int read;
        while (received < 6 && (read = await socket.ReceiveAsync(sink, SocketFlags.None)) > 0)
        {
            received += read;
        }
    }

    private static bool TryParse(ReadOnlySpan<byte> data, out int opcode, out bool fin, out int headerSize, out int payloadLength, out uint mask, out byte rsv)
    {
        rsv = 0;
        opcode = 0;
        fin = false;
        headerSize = 0;
        payloadLength = 0;
        mask = 0;
        if (data.Length < 2)
        {
            return false;
        }

        int length7 = data[1] & 0x7F;
        bool masked = (data[1] & 0x80) != 0;
        int lengthBytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
        headerSize = 2 + lengthBytes + (masked ? 4 : 0);
        if (data.Length < headerSize)
        {
            return false;
        }

        long length = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(data[2..]),
            _ => length7,
        };
        if (data.Length < headerSize + length)
        {
            return false;
        }

        payloadLength = (int)length;
        fin = (data[0] & 0x80) != 0;
        rsv = (byte)(data[0] & 0x70);
        opcode = data[0] & 0x0F;
        mask = masked ? BinaryPrimitives.ReadUInt32LittleEndian(data[(2 + lengthBytes)..]) : 0;
        return true;
    }

    private static void Unmask(Span<byte> payload, uint mask)
    {
        if (mask != 0)
        {
            Whatwg.WebSockets.Protocol.Framing.Masking.Apply(payload, mask, 0);
        }
    }

    private static int WriteFrame(Span<byte> destination, int opcode, bool fin, ReadOnlySpan<byte> payload, byte rsv)
    {
        int header = Whatwg.WebSockets.Protocol.Framing.FrameHeader.Write(
            destination, fin, rsv, (Whatwg.WebSockets.Protocol.Framing.Opcode)opcode, payload.Length, masked: false, 0);
        payload.CopyTo(destination[header..]);
        return header + payload.Length;
    }
}
