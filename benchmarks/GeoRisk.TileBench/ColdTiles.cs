using System.Diagnostics;
using System.Globalization;
using GeoRisk.Core.Validation;
using GeoRisk.Services;
using GeoRisk.Tiles;
using NetTopologySuite.Geometries;

/// <summary>
/// First-tile latency of a big non-zoning layer: `dotnet run -c Release --project benchmarks/GeoRisk.TileBench -- cold
/// [polygons] [verticesPerPolygon]` builds a synthetic layer (default 400 × 2,500 = 1,000,000 vertices over the
/// Bortala extent), indexes it as the tile service does and times the first (cold) and a second (warm) tile per
/// zoom, for a tile full of features and an empty one; one thread, one tile at a time.
/// </summary>
internal static class ColdTiles
{
    public static void Run(string[] args)
    {
        var polygons = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400;
        var vertices = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2500;
        var factory = new GeometryFactory(new PrecisionModel(), 4490);
        var random = new Random(18);
        var features = new List<GeoFeature>();
        for (var i = 0; i < polygons; i++)
        {
            // A wiggly ring of ~0.04° radius: many vertices, valid, like a digitised hazard zone.
            var cx = 80.2 + (random.NextDouble() * 3.6);
            var cy = 44.1 + (random.NextDouble() * 1.2);
            var ring = new Coordinate[vertices + 1];
            for (var k = 0; k < vertices; k++)
            {
                var a = 2 * Math.PI * k / vertices;
                var r = 0.04 * (1 + (0.15 * Math.Sin(a * 37)) + (0.05 * Math.Sin(a * 211)));
                ring[k] = new Coordinate(cx + (r * Math.Cos(a)), cy + (r * Math.Sin(a)));
            }

            ring[vertices] = ring[0].Copy();
            features.Add(new GeoFeature(i + 1, factory.CreatePolygon(ring), new Dictionary<string, object?> { ["grade"] = (long)(1 + (i % 4)) }));
        }

        var sw = Stopwatch.StartNew();
        var index = new VectorTileIndex(features, coverage: false, addSourceFid: true);
        Console.WriteLine($"{polygons} polygons, {polygons * vertices:N0} vertices; index built in {sw.Elapsed.TotalMilliseconds:F0} ms");
        Console.WriteLine("\nRequests before the warm-up has prepared the layer:\n");
        Measure(index, features);
        index = new VectorTileIndex(features, coverage: false, addSourceFid: true);
        sw.Restart();
        index.Prepare(VectorTileIndex.BaseZoom);
        Console.WriteLine($"\nAfter the warm-up (VectorTileIndex.Prepare, {sw.Elapsed.TotalMilliseconds:F0} ms in the background):\n");
        Measure(index, features);
    }

    private static void Measure(VectorTileIndex index, List<GeoFeature> features)
    {
        var sw = new Stopwatch();
        var encoder = new MvtEncoder();
        var first = features[0].Geometry.Centroid.Coordinate;
        Console.WriteLine("| zoom | tile | features | cold (first of its zoom) | warm (again) |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var z in new[] { 6, 8, 10, 12 })
        {
            var full = WebMercator.TileRange(new Envelope(first.X, first.X, first.Y, first.Y), z);
            // An empty tile of the same zoom: over the ocean far from the layer.
            var empty = WebMercator.TileRange(new Envelope(-30, -30, 0, 0), z);
            foreach (var (label, tile) in new[] { ("empty", new TileId(z, empty.MinX, empty.MinY)), ("full", new TileId(z, full.MinX, full.MinY)) })
            {
                sw.Restart();
                var hits = index.FeaturesFor(tile);
                _ = encoder.Encode(tile, [new TileLayerInput("layer", hits)]);
                var cold = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                _ = encoder.Encode(tile, [new TileLayerInput("layer", index.FeaturesFor(tile))]);
                var warm = sw.Elapsed.TotalMilliseconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {z} | {label} {tile} | {hits.Count} | {cold:F1} ms | {warm:F1} ms |"));
            }
        }
    }
}
