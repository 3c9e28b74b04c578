using System.Runtime.InteropServices;
using GeoRisk.Gdal.Interop;

namespace GeoRisk.Gdal;

/// <summary>Image encoding through GDAL's drivers (PNG), in memory (/vsimem), without temporary files.</summary>
public static class RasterImages
{
    /// <summary>Encodes interleaved RGBA bytes (width × height × 4) as PNG.</summary>
    /// <exception cref="GdalException">GDAL cannot encode the image.</exception>
    public static unsafe byte[] EncodePng(ReadOnlySpan<byte> rgba, int width, int height)
    {
        if (rgba.Length != width * height * 4)
        {
            throw new ArgumentException($"Expected {width * height * 4} bytes of RGBA, got {rgba.Length}.", nameof(rgba));
        }

        GdalRuntime.EnsureInitialized();
        using var mem = GdalApi.GDALCreate(GdalRuntime.Driver("MEM"), "", width, height, 4, (int)RasterDataType.Byte, IntPtr.Zero);
        if (mem.IsInvalid)
        {
            GdalThrow.LastError("Cannot create an in-memory raster");
        }

        fixed (byte* p = rgba)
        {
            for (var b = 0; b < 4; b++)
            {
                var band = GdalApi.GDALGetRasterBand(mem, b + 1);
                GdalThrow.IfFailed(
                    GdalApi.GDALRasterIO(band, GdalApi.GF_Write, 0, 0, width, height, p + b, width, height, (int)RasterDataType.Byte, 4, width * 4),
                    "Cannot fill the image");
            }
        }

        var path = $"/vsimem/georisk-png-{Guid.NewGuid():N}.png";
        using (var png = GdalApi.GDALCreateCopy(GdalRuntime.Driver("PNG"), path, mem, 0, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero))
        {
            if (png.IsInvalid)
            {
                GdalThrow.LastError("Cannot encode PNG");
            }
        }

        ulong length;
        var buffer = Cpl.VSIGetMemFileBuffer(path, &length, 1);
        if (buffer == IntPtr.Zero)
        {
            throw new GdalException("PNG encoding produced no file.");
        }

        try
        {
            var bytes = new byte[length];
            Marshal.Copy(buffer, bytes, 0, (int)length);
            return bytes;
        }
        finally
        {
            Cpl.VSIFree(buffer);
        }
    }
}
