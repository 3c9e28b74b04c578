using System.CommandLine;
using GeoRisk.Cli;
using GeoRisk.Core;
using GeoRisk.Gdal;

var root = new RootCommand("GeoRisk: geological-hazard survey store, risk zoning and tile service.")
{
    Commands.Demo(),
    Commands.Serve(),
    Commands.Survey(),
    Commands.Ingest(),
    Commands.IngestJob(),
    Commands.Layers(),
    Commands.Store(),
    Commands.Samples(),
    KeyCommands.Create(),
    ZoningCommands.Compute(),
    ZoningCommands.Export(),
    RasterCommands.Create(),
    ClusterCommands.Worker(),
};
try
{
    // No @response-file expansion: a file named @lake.geojson is a file name, and no argument can make the
    // parser read a file's words into the command line.
    return await root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }).InvokeAsync(
        new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OperationCanceledException)
{
    await Console.Error.WriteLineAsync("cancelled");
    return 130;
}
catch (Exception ex) when (ex is GdalException or InvalidInputException or IOException or UnauthorizedAccessException or InvalidDataException
    or ArgumentException or KeyNotFoundException or NotSupportedException or FormatException)
{
    // What the files or the arguments got wrong (an unwritable output, a corrupt input, a bad value), said
    // plainly; the commands that can tell usage errors apart report those themselves with exit code 2.
    await Console.Error.WriteLineAsync("error: " + ex.Message);
    return ExitCodes.Failure;
}
