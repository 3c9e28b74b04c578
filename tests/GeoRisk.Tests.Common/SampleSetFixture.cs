using GeoRisk.Samples;

namespace GeoRisk.Tests.Common;

/// <summary>
/// The sample set regenerated once per test run into a temp folder, with a coarse 10″ DEM so tests stay
/// fast; the vector files are the same as the committed ones.
/// </summary>
public sealed class SampleSetFixture : IDisposable
{
    public const double TestDemArcSeconds = 10;
    private readonly TempDirectory _dir = new("georisk-samples");

    public SampleSetFixture()
    {
        new SampleSetGenerator(RepoPaths.Reference, _dir.Path).Generate(new SampleOptions { DemArcSeconds = TestDemArcSeconds });
        foreach (var file in Directory.GetFiles(RepoPaths.Reference))
        {
            var target = System.IO.Path.Combine(_dir.Path, "reference", System.IO.Path.GetFileName(file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            System.IO.File.Copy(file, target, overwrite: true);
        }

        // The zoning models are part of the sample set (the demo computes the default one).
        foreach (var file in Directory.GetFiles(System.IO.Path.Combine(RepoPaths.Surveys, "models")))
        {
            var target = System.IO.Path.Combine(_dir.Path, "models", System.IO.Path.GetFileName(file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            System.IO.File.Copy(file, target, overwrite: true);
        }
    }

    public string Path => _dir.Path;

    public string File(string relative) => System.IO.Path.Combine(_dir.Path, relative);

    public void Dispose() => _dir.Dispose();
}
