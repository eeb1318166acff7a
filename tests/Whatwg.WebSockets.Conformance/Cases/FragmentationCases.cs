using Whatwg.WebSockets.Conformance.Fuzzing;

namespace Whatwg.WebSockets.Conformance.Cases;

internal static class FragmentationCases
{
    public static IEnumerable<CaseDefinition> Create() => [];
}
