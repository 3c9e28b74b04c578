using System.Runtime.InteropServices;

namespace GeoRisk.Gdal.Interop;

internal static partial class GdalApi
{
    internal const uint GDAL_OF_READONLY = 0x00;
    internal const uint GDAL_OF_UPDATE = 0x01;
    internal const uint GDAL_OF_RASTER = 0x02;
    internal const uint GDAL_OF_VECTOR = 0x04;
    internal const uint GDAL_OF_VERBOSE_ERROR = 0x40;

    internal const int GF_Read = 0;
    internal const int GF_Write = 1;

    [LibraryImport(Libraries.Gdal)]
    internal static partial void GDALAllRegister();

    [LibraryImport(Libraries.Gdal)]
    internal static partial long GDALGetCacheMax64();

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALVersionInfo(string request);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALGetDriverCount();

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALGetDriverByName(string name);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALGetDatasetDriver(SafeGdalDatasetHandle dataset);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALGetDriverShortName(IntPtr driver);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeGdalDatasetHandle GDALOpenEx(string path, uint flags, IntPtr allowedDrivers, IntPtr openOptions, IntPtr siblingFiles);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeGdalDatasetHandle GDALCreate(IntPtr driver, string path, int xSize, int ySize, int bands, int dataType, IntPtr options);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeGdalDatasetHandle GDALCreateCopy(
        IntPtr driver, string path, SafeGdalDatasetHandle source, int strict, IntPtr options, IntPtr progress, IntPtr progressData);

    // GDALClose and GDALFlushCache return void up to GDAL 3.6 and CPLErr from 3.7 (RFC 91). Reading a
    // return value from the void form reads whatever the register holds, so each has both shapes and
    // the wrappers below pick by the loaded version; on 3.6 the outcome is the thread's last error.
    [LibraryImport(Libraries.Gdal, EntryPoint = "GDALClose")]
    private static partial void GDALCloseVoid(IntPtr dataset);

    [LibraryImport(Libraries.Gdal, EntryPoint = "GDALClose")]
    private static partial int GDALCloseErr(IntPtr dataset);

    [LibraryImport(Libraries.Gdal, EntryPoint = "GDALFlushCache")]
    private static partial void GDALFlushCacheVoid(SafeGdalDatasetHandle dataset);

    [LibraryImport(Libraries.Gdal, EntryPoint = "GDALFlushCache")]
    private static partial int GDALFlushCacheErr(SafeGdalDatasetHandle dataset);

    /// <summary>True when the loaded GDAL (3.7 or later) returns a CPLErr from GDALClose and GDALFlushCache.</summary>
    internal static bool CloseReturnsError => s_closeReturnsError.Value;

    private static readonly Lazy<bool> s_closeReturnsError = new(() =>
        int.TryParse(
            System.Runtime.InteropServices.Marshal.PtrToStringUTF8(GDALVersionInfo("VERSION_NUM")),
            System.Globalization.CultureInfo.InvariantCulture,
            out var v) &&
            v >= 3_07_00_00);

    /// <summary>Closes the dataset (writing what is still cached); returns CE_Failure when that failed, on every GDAL version.</summary>
    internal static int GDALClose(IntPtr dataset)
    {
        Cpl.CPLErrorReset();
        if (CloseReturnsError)
        {
            return GDALCloseErr(dataset);
        }

        GDALCloseVoid(dataset);
        return Cpl.CPLGetLastErrorType() >= Cpl.CE_Failure ? Cpl.CE_Failure : Cpl.CE_None;
    }

    /// <summary>Writes the dataset's cached blocks; returns CE_Failure when that failed, on every GDAL version.</summary>
    internal static int GDALFlushCache(SafeGdalDatasetHandle dataset)
    {
        Cpl.CPLErrorReset();
        if (CloseReturnsError)
        {
            return GDALFlushCacheErr(dataset);
        }

        GDALFlushCacheVoid(dataset);
        return Cpl.CPLGetLastErrorType() >= Cpl.CE_Failure ? Cpl.CE_Failure : Cpl.CE_None;
    }

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int GDALGetGeoTransform(SafeGdalDatasetHandle dataset, double* transform);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int GDALSetGeoTransform(SafeGdalDatasetHandle dataset, double* transform);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALGetProjectionRef(SafeGdalDatasetHandle dataset);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int GDALSetProjection(SafeGdalDatasetHandle dataset, string wkt);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALGetRasterXSize(SafeGdalDatasetHandle dataset);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALGetRasterYSize(SafeGdalDatasetHandle dataset);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALGetRasterCount(SafeGdalDatasetHandle dataset);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALGetRasterBand(SafeGdalDatasetHandle dataset, int index);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALGetRasterDataType(IntPtr band);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial void GDALGetBlockSize(IntPtr band, int* xBlock, int* yBlock);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial double GDALGetRasterNoDataValue(IntPtr band, int* success);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALSetRasterNoDataValue(IntPtr band, double value);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int GDALRasterIO(
        IntPtr band,
        int rwFlag,
        int xOff,
        int yOff,
        int xSize,
        int ySize,
        void* buffer,
        int bufXSize,
        int bufYSize,
        int bufType,
        int pixelSpace,
        int lineSpace);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int GDALReadBlock(IntPtr band, int xBlock, int yBlock, void* buffer);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int GDALWriteBlock(IntPtr band, int xBlock, int yBlock, void* buffer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALCreateColorTable(int interpretation);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void GDALDestroyColorTable(IntPtr table);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial void GDALSetColorEntry(IntPtr table, int index, short* entry);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALSetRasterColorTable(IntPtr band, IntPtr table);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALGetRasterColorTable(IntPtr band);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALGetColorEntryCount(IntPtr table);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALGetColorEntry(IntPtr table, int index);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALSetRasterColorInterpretation(IntPtr band, int interpretation);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALSetRasterCategoryNames(IntPtr band, IntPtr names);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALGetRasterCategoryNames(IntPtr band);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int GDALComputeRasterStatistics(
        IntPtr band, int approxOk, double* min, double* max, double* mean, double* stdDev, IntPtr progress, IntPtr progressData);
}

/// <summary>gdal_utils.h: the library form of gdalwarp.</summary>
internal static partial class GdalUtils
{
    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALWarpAppOptionsNew(IntPtr argv, IntPtr optionsForBinary);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void GDALWarpAppOptionsFree(IntPtr options);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial SafeGdalDatasetHandle GDALWarp(
        string destination, IntPtr destinationDataset, int sourceCount, IntPtr* sources, IntPtr options, int* usageError);
}
