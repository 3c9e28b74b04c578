using System.CommandLine;
using GeoRisk.Cli;

var root = new RootCommand("GeoRisk: geological-hazard survey store, risk zoning and tile service.")
{
    Commands.Demo(),
    Commands.Serve(),
    Commands.Survey(),
    Commands.Ingest(),
    Commands.Layers(),
    Commands.Store(),
    Commands.Samples(),
    KeyCommands.Create(),
    ZoningCommands.Compute(),
    ZoningCommands.Export(),
    RasterCommands.Create(),
};
return await root.Parse(args).InvokeAsync();
