using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

internal static class PingPongCases
{
    public static IEnumerable<CaseDefinition> Create() => [];
}
