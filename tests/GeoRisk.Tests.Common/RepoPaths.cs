namespace GeoRisk.Tests.Common;

/// <summary>Locations in the repository, found by walking up from the test assembly.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Surveys => Path.Combine(Root, "surveys");

    public static string Reference => Path.Combine(Surveys, "reference");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GeoRisk.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GeoRisk.sln not found above " + AppContext.BaseDirectory);
    }
}
