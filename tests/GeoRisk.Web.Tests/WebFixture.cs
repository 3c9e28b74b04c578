using System.Net;
using System.Net.Sockets;
using GeoRisk.Api;
using GeoRisk.Api.Security;
using GeoRisk.Core.Risk;
using GeoRisk.Samples;
using GeoRisk.Services;
using GeoRisk.Storage.GeoPackage;
using GeoRisk.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace GeoRisk.Web.Tests;

/// <summary>
/// The real service on Kestrel (a free loopback port) over a store loaded with the sample set and a zoning
/// run, and Debian's Chromium driven headless by Playwright (WebGL through SwiftShader).
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private readonly SampleSetFixture _samples = new();
    private readonly TempDirectory _store = new("georisk-web-store");
    private WebApplication? _app;
    private IPlaywright? _playwright;

    public string BaseUrl { get; private set; } = "";

    public string GeologistKey { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    public SampleSetFixture Samples => _samples;

    /// <summary>The folder the service serves tile archives from (<c>/archives/{name}.pmtiles</c>).</summary>
    public string ArchiveDirectory => Path.Combine(_store.Path, "archives");

    /// <summary>The running service's services (the tile service, to write archives of what it serves).</summary>
    public IServiceProvider Services => _app!.Services;

    public static string Screenshots { get; } = Path.Combine(RepoPaths.Root, "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        await using (var store = new GeoPackageStore(new GeoPackageStoreOptions { Directory = _store.Path }))
        {
            await store.InitializeAsync();
            await new SampleSetLoader(store).LoadAsync(_samples.Path);
            var model = RiskModel.Parse(await File.ReadAllTextAsync(Path.Combine(_samples.Path, "models", "bortala-default.json")));
            await new ZoningRunService(store).RunAsync(model.WithGrid(model.Grid with { CellSize = 1000 }));
        }

        Directory.CreateDirectory(ArchiveDirectory);
        GeologistKey = new ApiKeyStore(_store.Path).Create("web test geologist", Role.Geologist).Key;
        var port = Ports.Free();
        BaseUrl = $"http://127.0.0.1:{port}";
        _app = GeoRiskApp.Build(["--urls", BaseUrl], o =>
        {
            o.StoreDirectory = _store.Path;
            o.DefaultModelPath = Path.Combine(_samples.Path, "models", "bortala-default.json");
            o.HeadersTimeoutSeconds = 2;
            o.ArchiveDirectory = ArchiveDirectory;
        });
        await _app.StartAsync();

        Directory.CreateDirectory(Screenshots);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _samples.Dispose();
        _store.Dispose();
    }
}
