using GeoRisk.Api;

var app = GeoRiskApp.Build(args);
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
