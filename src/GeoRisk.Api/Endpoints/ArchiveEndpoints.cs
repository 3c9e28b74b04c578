using System.Text.RegularExpressions;
using Microsoft.Net.Http.Headers;

namespace GeoRisk.Api.Endpoints;

/// <summary>
/// Tile archives as files with HTTP range requests (206, Accept-Ranges, ETag, If-Range): a PMTiles reader fetches
/// the header, directories and tiles by byte range, exactly as it would from a CDN.
/// </summary>
internal static partial class ArchiveEndpoints
{
    public const string PmTilesMediaType = "application/vnd.pmtiles";

    public static IEndpointRouteBuilder MapArchiveEndpoints(this IEndpointRouteBuilder app, GeoRiskServiceOptions options)
    {
        app.MapGet("/archives/{name}", (string name, HttpContext http) => GetArchive(name, options))
            .WithName("GetTileArchive").WithTags("Tiles").WithSummary("A PMTiles archive (HTTP range requests)");
        return app;
    }

    private static IResult GetArchive(string name, GeoRiskServiceOptions options)
    {
        // Names only, never paths: the folder is the only place archives come from.
        if (options.ArchiveDirectory is not { Length: > 0 } folder || !ArchiveName().IsMatch(name))
        {
            return Problems.Create(StatusCodes.Status404NotFound, "not-found", $"No tile archive '{name}'.");
        }

        var file = new FileInfo(Path.Combine(Path.GetFullPath(folder), name));
        if (!file.Exists)
        {
            return Problems.Create(StatusCodes.Status404NotFound, "not-found", $"No tile archive '{name}'.");
        }

        var etag = new EntityTagHeaderValue($"\"{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}\"");
        return TypedResults.PhysicalFile(file.FullName, PmTilesMediaType, lastModified: file.LastWriteTimeUtc, entityTag: etag, enableRangeProcessing: true);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.pmtiles$")]
    private static partial Regex ArchiveName();
}
