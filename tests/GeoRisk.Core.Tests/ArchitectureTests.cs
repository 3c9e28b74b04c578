using System.Reflection;
using GeoRisk.Core.Storage;

namespace GeoRisk.Core.Tests;

public class ArchitectureTests
{
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
