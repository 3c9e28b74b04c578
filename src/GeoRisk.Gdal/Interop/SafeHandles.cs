using Microsoft.Win32.SafeHandles;

namespace GeoRisk.Gdal.Interop;

/// <summary>An open GDALDatasetH; closing flushes and releases it.</summary>
internal sealed class SafeGdalDatasetHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeGdalDatasetHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle() => GdalApi.GDALClose(handle) == Cpl.CE_None;
}

/// <summary>An OGRFeatureH owned by the caller (from OGR_L_GetNextFeature or OGR_F_Create).</summary>
internal sealed class SafeOgrFeatureHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeOgrFeatureHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        Ogr.OGR_F_Destroy(handle);
        return true;
    }
}

/// <summary>A reference-counted OGRSpatialReferenceH.</summary>
internal sealed class SafeOsrHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeOsrHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        Osr.OSRRelease(handle);
        return true;
    }
}

/// <summary>An OGRCoordinateTransformationH.</summary>
internal sealed class SafeOctHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeOctHandle() : base(ownsHandle: true) { }

    protected override bool ReleaseHandle()
    {
        Osr.OCTDestroyCoordinateTransformation(handle);
        return true;
    }
}
