using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

internal static class CloseCases
{
    public static IEnumerable<CaseDefinition> Create() => [];
}
