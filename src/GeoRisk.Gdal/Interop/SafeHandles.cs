using Microsoft.Win32.SafeHandles;

namespace GeoRisk.Gdal.Interop;

/// <summary>An open GDALDatasetH; closing flushes and releases it.</summary>
internal sealed class SafeGdalDatasetHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeGdalDatasetHandle() : base(ownsHandle: true) { }

    /// <summary>
    /// Set when closing failed (e.g. the disk filled while the last cached blocks were written), so the
    /// owner can throw after Dispose: ReleaseHandle itself must not throw.
    /// </summary>
    public GdalException? CloseError { get; private set; }

    protected override bool ReleaseHandle()
    {
        if (GdalApi.GDALClose(handle) == Cpl.CE_None)
        {
            return true;
        }

        CloseError = new GdalException("Closing the dataset failed; the file is incomplete", Cpl.CPLGetLastErrorType(), Cpl.CPLGetLastErrorNo(),
            System.Runtime.InteropServices.Marshal.PtrToStringUTF8(Cpl.CPLGetLastErrorMsg()) ?? "");
        Cpl.CPLErrorReset();
        return false;
    }
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
