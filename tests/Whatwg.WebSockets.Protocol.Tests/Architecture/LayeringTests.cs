using System.Reflection;
using System.Text.RegularExpressions;

namespace Whatwg.WebSockets.Protocol.Tests.Architecture;

/// <summary>
/// The layers point one way (API → Connection, Transport → Protocol) and the protocol core is sans-I/O:
/// nothing under Protocol/ may name a socket, a stream, a task, a timer or a clock.
/// </summary>
public sealed partial class LayeringTests
{
    private static readonly Assembly s_library = typeof(WebSocket).Assembly;

    [Fact]
    public void ProtocolTypes_ReferenceNoIoTaskTimerOrClockType()
    {
        Type[] forbidden =
        [
            typeof(Stream), typeof(Task), typeof(ValueTask), typeof(System.Net.Sockets.Socket), typeof(Timer),
            typeof(System.Diagnostics.Stopwatch), typeof(DateTime), typeof(DateTimeOffset), typeof(CancellationToken),
            typeof(TimeProvider),
        ];
        var offenders = new List<string>();
        foreach (Type type in ProtocolTypes())
        {
            foreach (MemberInfo member in type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                foreach (Type used in TypesOf(member))
                {
                    if (forbidden.Any(f => f == used || (used.IsGenericType && used.GetGenericTypeDefinition() == f) || f.IsAssignableFrom(used) && f != typeof(object)))
                    {
                        offenders.Add($"{type.FullName}.{member.Name} uses {used.Name}");
                    }
                }
            }
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void ProtocolTypes_DoNotDependOnOuterLayers()
    {
        string[] outer = ["Whatwg.WebSockets.Connection", "Whatwg.WebSockets.Transport", "Whatwg.WebSockets.Dispatch"];
        var offenders = new List<string>();
        foreach (Type type in ProtocolTypes())
        {
            foreach (MemberInfo member in type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                foreach (Type used in TypesOf(member))
                {
                    if (used.Namespace is { } ns && outer.Any(o => ns.StartsWith(o, StringComparison.Ordinal)))
                    {
                        offenders.Add($"{type.FullName}.{member.Name} uses {used.FullName}");
                    }
                }
            }
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void ProtocolSources_CallNoClockOrIo()
    {
        // Method bodies are not visible to reflection; the sources are checked for the calls instead.
        string root = FindRepoRoot();
        string protocol = Path.Combine(root, "src", "Whatwg.WebSockets", "Protocol");
        var offenders = new List<string>();
        foreach (string file in Directory.EnumerateFiles(protocol, "*.cs", SearchOption.AllDirectories))
        {
            string text = File.ReadAllText(file);
            foreach (Match match in ForbiddenCall().Matches(text))
            {
                offenders.Add($"{Path.GetFileName(file)}: {match.Value}");
            }
        }

        Assert.Empty(offenders);
    }

    [GeneratedRegex(@"\b(Environment\.TickCount|DateTime\.|DateTimeOffset\.|Stopwatch|Task\.|Thread\.Sleep|new Timer|Socket|NetworkStream|await )")]
    private static partial Regex ForbiddenCall();

    private static IEnumerable<Type> ProtocolTypes() =>
        s_library.GetTypes().Where(t => t.Namespace is { } ns && ns.StartsWith("Whatwg.WebSockets.Protocol", StringComparison.Ordinal)
            && !t.Name.Contains('<', StringComparison.Ordinal));

    private static IEnumerable<Type> TypesOf(MemberInfo member) => member switch
    {
        FieldInfo f => Expand(f.FieldType),
        PropertyInfo p => Expand(p.PropertyType),
        MethodInfo m => Expand(m.ReturnType).Concat(m.GetParameters().SelectMany(p => Expand(p.ParameterType))),
        ConstructorInfo c => c.GetParameters().SelectMany(p => Expand(p.ParameterType)),
        _ => [],
    };

    private static IEnumerable<Type> Expand(Type type)
    {
        if (type.HasElementType)
        {
            return Expand(type.GetElementType()!);
        }

        return type.IsGenericType ? [type, .. type.GetGenericArguments().SelectMany(Expand)] : [type];
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Whatwg.WebSockets.slnx")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("The repository root (Whatwg.WebSockets.slnx) was not found above the test assembly.");
    }
}
