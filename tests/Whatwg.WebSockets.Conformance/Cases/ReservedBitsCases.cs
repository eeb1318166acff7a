using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

internal static class ReservedBitsCases
{
    public static IEnumerable<CaseDefinition> Create() => [];
}
