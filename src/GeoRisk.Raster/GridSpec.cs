namespace GeoRisk.Raster;

/// <summary>A north-up affine geotransform (no rotation): x = OriginX + col·PixelWidth, y = OriginY + row·PixelHeight.</summary>
/// <param name="PixelHeight">Negative for north-up grids, as in GDAL.</param>
public readonly record struct GeoTransform(double OriginX, double PixelWidth, double OriginY, double PixelHeight)
{
    /// <summary>From GDAL's six coefficients.</summary>
    /// <exception cref="NotSupportedException">The transform is rotated.</exception>
    public static GeoTransform FromGdal(ReadOnlySpan<double> gt)
    {
        if (gt.Length != 6)
        {
            throw new ArgumentException("A GDAL geotransform has six coefficients.", nameof(gt));
        }

        if (gt[2] != 0 || gt[4] != 0)
        {
            throw new NotSupportedException("Rotated rasters are not supported; warp them north-up first (gdalwarp).");
        }

        return new GeoTransform(gt[0], gt[1], gt[3], gt[5]);
    }

    public double[] ToGdal() => [OriginX, PixelWidth, 0, OriginY, 0, PixelHeight];

    /// <summary>Centre of pixel (col, row) in map units.</summary>
    public (double X, double Y) PixelCentre(int col, int row) => (OriginX + ((col + 0.5) * PixelWidth), OriginY + ((row + 0.5) * PixelHeight));

    /// <summary>Fractional pixel coordinates of a map point.</summary>
    public (double Col, double Row) ToPixel(double x, double y) => ((x - OriginX) / PixelWidth, (y - OriginY) / PixelHeight);
}

/// <summary>The size, georeferencing and CRS of a raster grid.</summary>
public sealed record GridSpec(int Width, int Height, GeoTransform Transform, string CrsWkt)
{
    public long CellCount => (long)Width * Height;

    public double MinX => Transform.OriginX;

    public double MaxX => Transform.OriginX + (Width * Transform.PixelWidth);

    public double MaxY => Transform.OriginY;

    public double MinY => Transform.OriginY + (Height * Transform.PixelHeight);

    /// <summary>True when both grids have the same size and transform (to 1e-9 of a pixel).</summary>
    public bool IsAlignedWith(GridSpec other) =>
        Width == other.Width && Height == other.Height &&
        Math.Abs(Transform.OriginX - other.Transform.OriginX) <= Math.Abs(Transform.PixelWidth) * 1e-9 &&
        Math.Abs(Transform.OriginY - other.Transform.OriginY) <= Math.Abs(Transform.PixelHeight) * 1e-9 &&
        Math.Abs(Transform.PixelWidth - other.Transform.PixelWidth) <= Math.Abs(Transform.PixelWidth) * 1e-9 &&
        Math.Abs(Transform.PixelHeight - other.Transform.PixelHeight) <= Math.Abs(Transform.PixelHeight) * 1e-9;
}
