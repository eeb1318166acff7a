using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>Group 1, framing: text (1.1.x) and binary (1.2.x) messages at every length-encoding edge.</summary>
internal static class FramingCases
{
    private static readonly int[] s_lengths = [0, 125, 126, 127, 128, 65535, 65536];

    public static IEnumerable<CaseDefinition> Create()
    {
        for (int type = 1; type <= 2; type++)
        {
            bool binary = type == 2;
            byte fill = binary ? (byte)0xFE : (byte)'*';
            string kind = binary ? "binary" : "text";
            for (int i = 0; i < s_lengths.Length; i++)
            {
                byte[] payload = Case.Repeat(fill, s_lengths[i]);
                yield return Case.Echo(
                    $"1.{type}.{i + 1}",
                    $"Send a {kind} message with a payload of {payload.Length} bytes.",
                    [Observed.Message(payload, binary)],
                    s => s.SendMessageAsync(payload, binary));
            }

            byte[] chopped = Case.Repeat(fill, 65536);
            yield return Case.Echo(
                $"1.{type}.8",
                $"Send a {kind} message with a payload of 65536 bytes, written in chops of 997 bytes.",
                [Observed.Message(chopped, binary)],
                s => s.SendMessageAsync(chopped, binary, chop: 997));
        }
    }
}
