using GeoRisk.Core.Storage;
using GeoRisk.Samples;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;

namespace GeoRisk.Services.Tests;

/// <summary>The sample set loaded once into a template store; each test gets its own copy to change.</summary>
public sealed class LoadedStoreFixture : IAsyncLifetime
{
    private readonly SampleSetFixture _samples = new();
    private readonly TempDirectory _template = new("georisk-services-template");

    public SampleSetFixture Samples => _samples;

    /// <summary>The shipped default model on a coarse grid so a run takes a second.</summary>
    public static Core.Risk.RiskModel DefaultModel(double cellSize = 1000)
    {
        var model = Core.Risk.RiskModel.Parse(File.ReadAllText(Path.Combine(RepoPaths.Surveys, "models", "bortala-default.json")));
        return model.WithGrid(model.Grid with { CellSize = cellSize });
    }

    public async Task InitializeAsync()
    {
        await using var store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _template.Path });
        await store.InitializeAsync();
        await new SampleSetLoader(store).LoadAsync(_samples.Path);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>A fresh store holding the sample set, in its own folder.</summary>
    public async Task<(IGeoRiskStore Store, TempDirectory Directory)> CopyAsync()
    {
        var dir = new TempDirectory("georisk-services-store");
        foreach (var file in System.IO.Directory.EnumerateFiles(_template.Path, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir.Path, Path.GetRelativePath(_template.Path, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = dir.Path });
        await store.InitializeAsync();
        return (store, dir);
    }

    public Task DisposeAsync()
    {
        _samples.Dispose();
        _template.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class LoadedStoreCollection : ICollectionFixture<LoadedStoreFixture>
{
    public const string Name = "loaded-store";
}
