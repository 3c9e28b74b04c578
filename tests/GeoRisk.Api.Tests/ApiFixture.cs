using GeoRisk.Samples;
using GeoRisk.Tests.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GeoRisk.Api.Tests;

/// <summary>The real service over an embedded store loaded with the sample set.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private readonly SampleSetFixture _samples = new();
    private readonly TempDirectory _store = new("georisk-api-store");

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public string StoreDirectory => _store.Path;

    /// <summary>The zoning run computed at start (default model at 1000 m).</summary>
    public Core.Storage.ZoningRunInfo Run { get; private set; } = null!;

    public SampleSetFixture Samples => _samples;

    public async Task InitializeAsync()
    {
        var (created, connectionString) = TestStores.Create(_store.Path);
        await using (var store = created)
        {
            await store.InitializeAsync();
            await new SampleSetLoader(store).LoadAsync(_samples.Path);
            var model = Core.Risk.RiskModel.Parse(await File.ReadAllTextAsync(Path.Combine(_samples.Path, "models", "bortala-default.json")));
            Run = (await new Services.ZoningRunService(store).RunAsync(model.WithGrid(model.Grid with { CellSize = 1000 }))).Run;
        }

        Factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            foreach (var (key, value) in TestStores.Settings(_store.Path, connectionString))
            {
                b.UseSetting(key, value);
            }
        });
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        _samples.Dispose();
        _store.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
