using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using GeoRisk.Core.Storage;

namespace GeoRisk.Core.Tests;

/// <summary>
/// The core (Core, Raster, Zoning) knows nothing of ASP.NET, SQL, GDAL or files: the adapters implement its ports.
/// Checked on the compiled IL: every type the assembly references (and so every member it calls) is read from its
/// metadata, so a single <c>File.Move</c> fails the test even though System.IO lives in an assembly Core must reference.
/// </summary>
public class ArchitectureTests
{
    /// <summary>The core assemblies, by a type each defines.</summary>
    public static TheoryData<string> CoreAssemblies => new() { "GeoRisk.Core", "GeoRisk.Raster", "GeoRisk.Zoning" };

    private static readonly string[] ForbiddenNamespaces =
    [
        "Microsoft.AspNetCore", "Microsoft.Extensions.Hosting", "Npgsql", "Microsoft.Data.Sqlite", "SQLitePCL", "System.Data",
        "GeoRisk.Gdal", "GeoRisk.Storage", "GeoRisk.Api", "GeoRisk.Services", "System.Net.Http", "System.Net.Sockets",
        "System.IO.MemoryMappedFiles", "System.IO.Pipes",
    ];

    /// <summary>File-system types of System.IO: streams, readers and Path arithmetic stay allowed; touching the disk does not.</summary>
    private static readonly string[] ForbiddenTypes =
    [
        "System.IO.File", "System.IO.Directory", "System.IO.FileInfo", "System.IO.DirectoryInfo", "System.IO.FileSystemInfo",
        "System.IO.FileStream", "System.IO.FileSystemWatcher", "System.IO.DriveInfo", "System.IO.RandomAccess",
        "System.IO.StreamReader", "System.IO.StreamWriter", "System.Diagnostics.Process", "System.Runtime.InteropServices.NativeLibrary",
    ];

    private static string AssemblyPath(string name) => Path.Combine(AppContext.BaseDirectory, name + ".dll");

    /// <summary>Full names of every type the assembly's metadata references (type references, nested ones with their outer type).</summary>
    public static IReadOnlyList<string> ReferencedTypes(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var md = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in md.TypeReferences)
        {
            names.Add(FullName(md, md.GetTypeReference(handle)));
        }

        return names;
    }

    private static string FullName(MetadataReader md, TypeReference type)
    {
        var name = md.GetString(type.Name);
        if (type.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            return FullName(md, md.GetTypeReference((TypeReferenceHandle)type.ResolutionScope)) + "+" + name;
        }

        var ns = md.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    [Theory]
    [MemberData(nameof(CoreAssemblies))]
    public void CoreAssembly_UsesNoAdapterTechnologyOrFileSystemType(string assembly)
    {
        var used = ReferencedTypes(AssemblyPath(assembly));
        Assert.Contains("NetTopologySuite.Geometries.Geometry", used.Concat(ReferencedTypes(AssemblyPath("GeoRisk.Core")))); // the reader sees types
        var offending = used.Where(t => ForbiddenNamespaces.Any(n => t.StartsWith(n + ".", StringComparison.Ordinal))
            || ForbiddenTypes.Any(f => t == f || t.StartsWith(f + "+", StringComparison.Ordinal))).Distinct().Order().ToList();
        Assert.True(offending.Count == 0, $"{assembly} uses {string.Join(", ", offending)}");
    }

    [Fact]
    public void ReferencedTypes_SeesAFileSystemCall()
    {
        // The check itself: this test assembly calls File.OpenRead above, and the reader finds it.
        Assert.Contains("System.IO.File", ReferencedTypes(typeof(ArchitectureTests).Assembly.Location));
    }

    [Fact]
    public void CoreAssembly_ReferencesNoAdapterTechnology()
    {
        var forbidden = new[] { "Microsoft.AspNetCore", "Npgsql", "Microsoft.Data.Sqlite", "SQLitePCL", "GeoRisk.Gdal", "GeoRisk.Storage", "GeoRisk.Api" };
        var references = typeof(IGeoRiskStore).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("NetTopologySuite", references);
        Assert.DoesNotContain(references, r => forbidden.Any(f => r.StartsWith(f, StringComparison.Ordinal)));
    }

    [Fact]
    public void CoreAssembly_HasNoPInvoke()
    {
        var pinvokes = typeof(IGeoRiskStore).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(m => m.Attributes.HasFlag(MethodAttributes.PinvokeImpl));

        Assert.Empty(pinvokes);
    }
}
