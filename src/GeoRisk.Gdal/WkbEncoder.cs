using GeoRisk.Core.Spatial;
using NetTopologySuite.Geometries;

namespace GeoRisk.Gdal;

/// <summary>WKB (<see cref="Wkb"/>) for OGR, written into one reused buffer.</summary>
internal sealed class WkbEncoder
{
    private byte[] _buffer = new byte[1 << 16];

    /// <summary>The WKB of <paramref name="geometry"/>, valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(Geometry geometry)
    {
        var size = Wkb.Size(geometry);
        if (_buffer.Length < size)
        {
            _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
        }

        var written = Wkb.Write(geometry, _buffer);
        return _buffer.AsSpan(0, written);
    }
}
