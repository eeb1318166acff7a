using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

internal static class MiscCases
{
    public static IEnumerable<CaseDefinition> Create() => [];
}
