using System.Globalization;
using GeoRisk.Gdal.Interop;
using GeoRisk.Raster;

namespace GeoRisk.Gdal;

/// <summary>Resamples a raster onto an analysis grid with GDAL's warper (the DEM onto the zoning grid).</summary>
public static class RasterWarp
{
    /// <summary>
    /// Warps band 1 of <paramref name="sourcePath"/> onto <paramref name="grid"/> (its CRS, extent and cell
    /// size) and returns it as float with NaN for nodata. Uses the exact transformer (-et 0) so results do not
    /// depend on how GDAL chunks the output.
    /// </summary>
    /// <exception cref="GdalException">The source cannot be opened or warped.</exception>
    public static RasterBuffer<float> ToGrid(string sourcePath, GridSpec grid, string resampling = "bilinear")
    {
        using var source = RasterDataset.Open(sourcePath);
        return ToGrid(source, Path.GetFileName(sourcePath), grid, resampling, errorThreshold: 0);
    }

    /// <summary>
    /// Warps band 1 of an open dataset (e.g. one of <see cref="RasterDatasetPool"/>'s, whose decoded blocks stay cached) onto
    /// <paramref name="grid"/>. <paramref name="errorThreshold"/> is gdalwarp's <c>-et</c> in output pixels: 0 transforms
    /// every pixel exactly; 0.125 (gdalwarp's default) interpolates the transformation along rows where it is that close,
    /// which is what a display tile needs and transforms a few points per row instead of every pixel.
    /// </summary>
    public static unsafe RasterBuffer<float> ToGrid(RasterDataset source, string sourceName, GridSpec grid, string resampling, double errorThreshold)
    {
        var result = new RasterBuffer<float>(grid.Width, grid.Height);
        Warp(source, sourceName, grid, resampling, errorThreshold, "", ["-of", "MEM"], warped =>
        {
            var band = GdalApi.GDALGetRasterBand(warped, 1);
            fixed (float* p = result.Data)
            {
                GdalThrow.IfFailed(
                    GdalApi.GDALRasterIO(band, GdalApi.GF_Read, 0, 0, grid.Width, grid.Height, p, grid.Width, grid.Height, (int)RasterDataType.Float32, 0, 0),
                    "Cannot read the warped raster");
            }
        });
        return result;
    }

    /// <summary>
    /// The same warp as <see cref="ToGrid(string, GridSpec, string)"/>, written to a tiled GeoTIFF at <paramref name="path"/> (NaN for
    /// nodata) instead of memory: GDAL's warper works chunk by chunk, so the grid is never held whole (the streamed zoning run reads
    /// it by windows). The chunks are warped on every core: a zoning run's client warps its DEM alone, before any block pass.
    /// </summary>
    /// <exception cref="GdalException">The source cannot be opened or warped.</exception>
    public static void ToFile(string sourcePath, GridSpec grid, string path, string resampling = "bilinear")
    {
        using var source = RasterDataset.Open(sourcePath);
        Warp(source, Path.GetFileName(sourcePath), grid, resampling, 0, path, ["-of", "GTiff", "-co", "TILED=YES", "-co", "BIGTIFF=IF_SAFER"], _ => { },
            allCores: true);
    }

    private static unsafe void Warp(RasterDataset source, string sourceName, GridSpec grid, string resampling, double errorThreshold, string destination,
        IEnumerable<string> format, Action<SafeGdalDatasetHandle> use, bool allCores = false)
    {
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var args = new List<string>(format)
        {
            "-ot", "Float32", "-t_srs", grid.CrsWkt,
            "-te", F(grid.MinX), F(grid.MinY), F(grid.MaxX), F(grid.MaxY),
            "-ts", grid.Width.ToString(CultureInfo.InvariantCulture), grid.Height.ToString(CultureInfo.InvariantCulture),
            "-r", resampling, "-et", F(errorThreshold), "-dstnodata", "nan", "-q",
        };
        if (allCores)
        {
            // Chunks warped on every core; with the exact transformer (-et 0) a cell's value does not depend on its chunk.
            args.AddRange(["-multi", "-wo", "NUM_THREADS=ALL_CPUS"]);
        }

        using var argv = new Utf8StringList(args);
        var options = GdalUtils.GDALWarpAppOptionsNew(argv.Pointer, IntPtr.Zero);
        if (options == IntPtr.Zero)
        {
            GdalThrow.LastError("Invalid warp options");
        }

        try
        {
            var added = false;
            source.Handle.DangerousAddRef(ref added);
            try
            {
                var handle = source.Handle.DangerousGetHandle();
                int usageError;
                using var warped = GdalUtils.GDALWarp(destination, IntPtr.Zero, 1, &handle, options, &usageError);
                if (warped.IsInvalid)
                {
                    GdalThrow.LastError($"Cannot warp '{sourceName}' onto the analysis grid");
                }

                use(warped);
            }
            finally
            {
                if (added)
                {
                    source.Handle.DangerousRelease();
                }
            }
        }
        finally
        {
            GdalUtils.GDALWarpAppOptionsFree(options);
        }
    }
}
