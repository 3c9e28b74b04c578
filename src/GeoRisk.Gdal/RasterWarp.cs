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
    public static unsafe RasterBuffer<float> ToGrid(string sourcePath, GridSpec grid, string resampling = "bilinear")
    {
        RasterBuffer<float>? result = null;
        Warp(sourcePath, grid, resampling, "", ["-of", "MEM"], warped =>
        {
            result = new RasterBuffer<float>(grid.Width, grid.Height);
            var band = GdalApi.GDALGetRasterBand(warped, 1);
            fixed (float* p = result.Data)
            {
                GdalThrow.IfFailed(GdalApi.GDALRasterIO(band, GdalApi.GF_Read, 0, 0, grid.Width, grid.Height, p, grid.Width, grid.Height, (int)RasterDataType.Float32, 0, 0), "Cannot read the warped raster");
            }
        });
        return result!;
    }

    /// <summary>
    /// The same warp as <see cref="ToGrid"/>, written to a tiled GeoTIFF at <paramref name="path"/> (NaN for nodata) instead of
    /// memory: GDAL's warper works chunk by chunk, so the grid is never held whole (the streamed zoning run reads it by windows).
    /// </summary>
    /// <exception cref="GdalException">The source cannot be opened or warped.</exception>
    public static void ToFile(string sourcePath, GridSpec grid, string path, string resampling = "bilinear") =>
        Warp(sourcePath, grid, resampling, path, ["-of", "GTiff", "-co", "TILED=YES", "-co", "BIGTIFF=IF_SAFER"], _ => { });

    private static unsafe void Warp(string sourcePath, GridSpec grid, string resampling, string destination, IEnumerable<string> format, Action<SafeGdalDatasetHandle> use)
    {
        using var source = RasterDataset.Open(sourcePath);
        var t = grid.Transform;
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var args = new List<string>(format)
        {
            "-ot", "Float32", "-t_srs", grid.CrsWkt,
            "-te", F(grid.MinX), F(grid.MinY), F(grid.MaxX), F(grid.MaxY),
            "-ts", grid.Width.ToString(CultureInfo.InvariantCulture), grid.Height.ToString(CultureInfo.InvariantCulture),
            "-r", resampling, "-et", "0", "-dstnodata", "nan", "-q",
        };
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
                    GdalThrow.LastError($"Cannot warp '{Path.GetFileName(sourcePath)}' onto the analysis grid");
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
