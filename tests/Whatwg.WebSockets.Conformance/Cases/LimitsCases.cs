using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

internal static class LimitsCases
{
    public static IEnumerable<CaseDefinition> Create() => [];
}
