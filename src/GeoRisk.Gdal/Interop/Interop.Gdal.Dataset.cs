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
    internal static partial SafeGdalDatasetHandle GDALCreateCopy(IntPtr driver, string path, SafeGdalDatasetHandle source, int strict, IntPtr options, IntPtr progress, IntPtr progressData);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALClose(IntPtr dataset);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALFlushCache(SafeGdalDatasetHandle dataset);

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
    internal static unsafe partial int GDALRasterIO(IntPtr band, int rwFlag, int xOff, int yOff, int xSize, int ySize, void* buffer, int bufXSize, int bufYSize, int bufType, int pixelSpace, int lineSpace);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int GDALReadBlock(IntPtr band, int xBlock, int yBlock, void* buffer);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int GDALWriteBlock(IntPtr band, int xBlock, int yBlock, void* buffer);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int GDALComputeRasterStatistics(IntPtr band, int approxOk, double* min, double* max, double* mean, double* stdDev, IntPtr progress, IntPtr progressData);
}

/// <summary>gdal_utils.h: the library form of gdalwarp.</summary>
internal static partial class GdalUtils
{
    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALWarpAppOptionsNew(IntPtr argv, IntPtr optionsForBinary);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void GDALWarpAppOptionsFree(IntPtr options);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial SafeGdalDatasetHandle GDALWarp(string destination, IntPtr destinationDataset, int sourceCount, IntPtr* sources, IntPtr options, int* usageError);
}
