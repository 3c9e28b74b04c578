using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using GeoRisk.Gdal.Interop;

namespace GeoRisk.Gdal;

[StackTraceHidden]
internal static class GdalThrow
{
    /// <summary>Throws a <see cref="GdalException"/> built from GDAL's thread-local last error.</summary>
    [DoesNotReturn]
    internal static void LastError(string context)
    {
        var type = Cpl.CPLGetLastErrorType();
        var number = Cpl.CPLGetLastErrorNo();
        var message = Marshal.PtrToStringUTF8(Cpl.CPLGetLastErrorMsg()) ?? "";
        Cpl.CPLErrorReset();
        throw new GdalException(context, type, number, message);
    }

    internal static void IfFailed(int cplErr, string context)
    {
        if (cplErr >= Cpl.CE_Failure)
        {
            LastError(context);
        }
    }

    internal static void IfOgrFailed(int ogrErr, string context)
    {
        if (ogrErr != Ogr.OGRERR_NONE)
        {
            LastError($"{context} (OGRErr {ogrErr})");
        }
    }
}
