using System.Runtime.InteropServices;

namespace GeoRisk.Gdal.Interop;

internal static partial class Ogr
{
    internal const int OGRERR_NONE = 0;

    internal const int OFTInteger = 0;
    internal const int OFTReal = 2;
    internal const int OFTString = 4;
    internal const int OFTDate = 9;
    internal const int OFTDateTime = 11;
    internal const int OFTInteger64 = 12;

    [LibraryImport(Libraries.Gdal)]
    internal static partial int GDALDatasetGetLayerCount(SafeGdalDatasetHandle dataset);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr GDALDatasetGetLayer(SafeGdalDatasetHandle dataset, int index);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALDatasetExecuteSQL(SafeGdalDatasetHandle dataset, string sql, IntPtr spatialFilter, string? dialect);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void GDALDatasetReleaseResultSet(SafeGdalDatasetHandle dataset, IntPtr layer);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr GDALDatasetCreateLayer(SafeGdalDatasetHandle dataset, string name, SafeOsrHandle srs, int geometryType, IntPtr options);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr OGR_L_GetName(IntPtr layer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_L_GetGeomType(IntPtr layer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr OGR_L_GetSpatialRef(IntPtr layer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial long OGR_L_GetFeatureCount(IntPtr layer, int force);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OGR_L_ResetReading(IntPtr layer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial SafeOgrFeatureHandle OGR_L_GetNextFeature(IntPtr layer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr OGR_L_GetLayerDefn(IntPtr layer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_L_CreateField(IntPtr layer, IntPtr fieldDefn, int approxOk);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_L_CreateFeature(IntPtr layer, SafeOgrFeatureHandle feature);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_L_StartTransaction(IntPtr layer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_L_CommitTransaction(IntPtr layer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_FD_GetFieldCount(IntPtr featureDefn);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr OGR_FD_GetFieldDefn(IntPtr featureDefn, int index);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr OGR_Fld_GetNameRef(IntPtr fieldDefn);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_Fld_GetType(IntPtr fieldDefn);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr OGR_Fld_Create(string name, int type);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OGR_Fld_SetWidth(IntPtr fieldDefn, int width);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OGR_Fld_Destroy(IntPtr fieldDefn);

    [LibraryImport(Libraries.Gdal)]
    internal static partial SafeOgrFeatureHandle OGR_F_Create(IntPtr featureDefn);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OGR_F_Destroy(IntPtr feature);

    [LibraryImport(Libraries.Gdal)]
    internal static partial long OGR_F_GetFID(SafeOgrFeatureHandle feature);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_F_IsFieldSetAndNotNull(SafeOgrFeatureHandle feature, int index);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr OGR_F_GetFieldAsString(SafeOgrFeatureHandle feature, int index);

    [LibraryImport(Libraries.Gdal)]
    internal static partial long OGR_F_GetFieldAsInteger64(SafeOgrFeatureHandle feature, int index);

    [LibraryImport(Libraries.Gdal)]
    internal static partial double OGR_F_GetFieldAsDouble(SafeOgrFeatureHandle feature, int index);

    [LibraryImport(Libraries.Gdal, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void OGR_F_SetFieldString(SafeOgrFeatureHandle feature, int index, string value);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OGR_F_SetFieldInteger64(SafeOgrFeatureHandle feature, int index, long value);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OGR_F_SetFieldDouble(SafeOgrFeatureHandle feature, int index, double value);

    [LibraryImport(Libraries.Gdal)]
    internal static partial IntPtr OGR_F_GetGeometryRef(SafeOgrFeatureHandle feature);

    /// <summary>Takes ownership of <paramref name="geometry"/>.</summary>
    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_F_SetGeometryDirectly(SafeOgrFeatureHandle feature, IntPtr geometry);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int OGR_G_CreateFromWkb(byte* wkb, IntPtr srs, IntPtr* geometry, int bytes);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_G_WkbSize(IntPtr geometry);

    [LibraryImport(Libraries.Gdal)]
    internal static unsafe partial int OGR_G_ExportToIsoWkb(IntPtr geometry, int byteOrder, byte* buffer);

    [LibraryImport(Libraries.Gdal)]
    internal static partial void OGR_G_DestroyGeometry(IntPtr geometry);

    [LibraryImport(Libraries.Gdal)]
    internal static partial int OGR_G_Transform(IntPtr geometry, SafeOctHandle transformation);
}
