using GeoRisk.Services;
using GeoRisk.Tiles;
using Microsoft.Net.Http.Headers;

namespace GeoRisk.Api.Endpoints;

/// <summary>
/// Tile archives as files with HTTP range requests (206, Accept-Ranges, ETag, If-Range): a PMTiles reader fetches
/// the header, directories and tiles by byte range, exactly as it would from a CDN. The same archives are also
/// tilesets <c>archive:NAME</c> under <c>/tiles/</c>, decoded by the service (docs/CLIENTS.md).
/// </summary>
internal static class ArchiveEndpoints
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
        if (options.ArchiveDirectory is not { Length: > 0 } folder || !name.EndsWith(".pmtiles", StringComparison.Ordinal) ||
            TileArchiveService.FileNameOf(name[..^".pmtiles".Length]) is null)
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

    /// <summary>A tile of an archive tileset; a damaged or hostile archive is a 500 ProblemDetails saying what is wrong with it.</summary>
    public static IResult VectorTile(string tileset, TileId tile, HttpContext http)
    {
        var archives = http.RequestServices.GetRequiredService<TileArchiveService>();
        try
        {
            var result = archives.GetTile(tileset, tile);
            return TileEndpoints.VectorTileResponse(http, result.ETag, result.Gzipped, bytes => TileArchiveService.Gunzip(tileset, bytes));
        }
        catch (InvalidDataException e)
        {
            return InvalidArchive(http, e);
        }
    }

    /// <summary>TileJSON of an archive tileset.</summary>
    public static IResult TileJson(string tileset, string root, HttpContext http)
    {
        try
        {
            return TypedResults.Json(http.RequestServices.GetRequiredService<TileArchiveService>().TileJson(tileset, root));
        }
        catch (InvalidDataException e)
        {
            return InvalidArchive(http, e);
        }
    }

    private static IResult InvalidArchive(HttpContext http, InvalidDataException e)
    {
        // The archive is the server's data, not the request's: a server error, with the defect named for the operator.
        http.Response.Headers.Remove(HeaderNames.ETag);
        http.Response.Headers.CacheControl = "no-store";
        return Problems.Create(StatusCodes.Status500InternalServerError, "invalid-tile-archive", e.Message);
    }
}
