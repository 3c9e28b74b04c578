using GeoRisk.Raster;

namespace GeoRisk.Gdal;

/// <summary>Fills one strip of a streamed COG: rows [<paramref name="y"/>, y + <paramref name="rows"/>) of the whole width.</summary>
public delegate void StripFill<T>(int y, int rows, Span<T> cells);

/// <summary>Writes engine buffers as compressed Cloud-Optimized GeoTIFFs and reads them back.</summary>
public static class CogWriter
{
    /// <param name="noData">Nodata value recorded in the file (NaN allowed for float bands).</param>
    /// <param name="categorical">Overviews by nearest neighbour (classes) instead of averaging (continuous values).</param>
    /// <param name="categories">
    /// A colour table and category names for a class raster (Byte), so GDAL and QGIS show the classes in their colours; the
    /// names go to the PAM sidecar <c>path.aux.xml</c>, which whoever moves the COG moves with it.
    /// </param>
    /// <exception cref="GdalException">GDAL cannot write the file.</exception>
    public static void Write<T>(
        string path, GridSpec grid, RasterBuffer<T> buffer, double? noData, bool categorical, RasterCategories? categories = null) where T : unmanaged =>
        WriteThrough<T>(path, grid, noData, categorical, categories, ds => ds.Write<T>(1, 0, 0, grid.Width, grid.Height, buffer.Data));

    /// <summary>
    /// Writes a COG whose cells come strip by strip (<paramref name="stripRows"/> rows of the whole width at a time), so the
    /// grid is never held whole (the streamed zoning run, docs/SCALE.md). <paramref name="fill"/> gets the first row, the row
    /// count and the strip to fill, strips in order from the top.
    /// </summary>
    /// <exception cref="GdalException">GDAL cannot write the file.</exception>
    public static void WriteStrips<T>(
        string path, GridSpec grid, int stripRows, StripFill<T> fill, double? noData, bool categorical, RasterCategories? categories = null)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stripRows);
        WriteThrough<T>(path, grid, noData, categorical, categories, ds =>
        {
            var strip = new T[(long)grid.Width * Math.Min(stripRows, Math.Max(1, grid.Height))];
            for (var y = 0; y < grid.Height; y += stripRows)
            {
                var rows = Math.Min(stripRows, grid.Height - y);
                var cells = strip.AsSpan(0, grid.Width * rows);
                fill(y, rows, cells);
                ds.Write<T>(1, 0, y, grid.Width, rows, cells);
            }
        });
    }

    private static void WriteThrough<T>(
        string path, GridSpec grid, double? noData, bool categorical, RasterCategories? categories, Action<RasterDataset> write) where T : unmanaged
    {
        // The COG driver only copies, so the data go through a plain tiled GeoTIFF beside the target.
        var scratch = path + ".scratch.tif";
        try
        {
            using (var ds = RasterDataset.CreateGeoTiff(scratch, grid.Width, grid.Height, 1, RasterDataset.TypeOf<T>(), ["TILED=YES", "BIGTIFF=IF_SAFER"]))
            {
                ds.GeoTransform = grid.Transform.ToGdal();
                ds.ProjectionWkt = grid.CrsWkt;
                if (noData is { } nd)
                {
                    ds.SetNoData(1, nd);
                }

                write(ds);
                if (categories is not null)
                {
                    ds.SetCategories(1, categories);
                }

                ds.CopyToCog(path, CreationOptions(categorical));
            }
        }
        finally
        {
            // Only what is there: File.Delete throws when the folder is missing, which would hide GDAL's own error.
            foreach (var file in new[] { scratch, scratch + ".aux.xml" }.Where(File.Exists))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>
    /// The COG creation options of every raster a run publishes. Site-risk queries read single cells, and each read decodes its
    /// whole tile: 256² tiles are a quarter of the default 512², and class codes (runs of equal bytes, which deflate packs anyway)
    /// skip the horizontal predictor, whose undoing was half of a query's CPU. The tiles are compressed on every core (each tile
    /// on its own, so the file's bytes do not depend on the thread count): compression was most of a run's COG writing, which the
    /// run's client does alone (docs/SCALE.md).
    /// </summary>
    public static string[] CreationOptions(bool categorical) => categorical
        ? ["COMPRESS=DEFLATE", "BLOCKSIZE=256", "OVERVIEWS=AUTO", "BIGTIFF=IF_SAFER", "RESAMPLING=NEAREST", "NUM_THREADS=ALL_CPUS"]
        : ["COMPRESS=DEFLATE", "PREDICTOR=YES", "BLOCKSIZE=256", "OVERVIEWS=AUTO", "BIGTIFF=IF_SAFER", "RESAMPLING=AVERAGE", "NUM_THREADS=ALL_CPUS"];

    /// <summary>Reads band 1 whole, checking it has the expected size.</summary>
    public static RasterBuffer<T> Read<T>(string path, int width, int height) where T : unmanaged
    {
        using var ds = RasterDataset.Open(path);
        if (ds.Width != width || ds.Height != height)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)} is {ds.Width}x{ds.Height}, expected {width}x{height}.");
        }

        var buffer = new RasterBuffer<T>(width, height);
        ds.Read<T>(1, 0, 0, width, height, buffer.Data);
        return buffer;
    }
}
