using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

/// <summary>Group 10, miscellaneous: a large text message split by the server into many fragments.</summary>
internal static class MiscCases
{
    public static IEnumerable<CaseDefinition> Create()
    {
        byte[] payload = Case.Repeat((byte)'*', 65536);
        yield return Case.Echo(
            "10.1.1",
            "Send a 65536-byte text message split into fragments of 1300 bytes (50 full fragments and a final one of 536).",
            [Observed.Text(payload)],
            s => s.SendMessageAsync(payload, binary: false, fragmentSize: 1300),
            killAfter: TimeSpan.FromSeconds(10));
    }
}
