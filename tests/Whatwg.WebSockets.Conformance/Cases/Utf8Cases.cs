using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

internal static class Utf8Cases
{
    public static IEnumerable<CaseDefinition> Create() => [];
}
