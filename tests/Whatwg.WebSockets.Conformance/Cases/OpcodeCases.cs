using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

internal static class OpcodeCases
{
    public static IEnumerable<CaseDefinition> Create() => [];
}
