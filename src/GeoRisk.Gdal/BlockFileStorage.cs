using System.Collections.Concurrent;
using System.Globalization;
using System.Security;
using System.Text;
using GeoRisk.Raster;
using GeoRisk.Raster.Blocks;

namespace GeoRisk.Gdal;

/// <summary>
/// The rasters of a block-wise job in a folder that every worker sees (the store's shared raster folder):
/// inputs are GeoTIFF/COG files; every raster a step writes is one small GeoTIFF per block
/// (<c>{name}/{row}_{column}.tif</c>), written to a temporary name and renamed, so a block is either whole
/// or absent and a block computed again after a lost worker simply replaces it. Windows are read across the
/// block files (docs/SCALE.md §storage). Writers on different machines never touch the same file.
/// </summary>
/// <param name="directory">The job's folder: the rasters its steps write.</param>
/// <param name="inputs">Where input rasters (GeoTIFF files or block-file folders) named by a relative path are found (the shared raster
/// folder); the job's folder when null.</param>
public sealed class BlockFileStorage(string directory, string? inputs = null) : IBlockStorage, IDisposable
{
    private readonly ConcurrentDictionary<string, IRasterWindowSource> _open = new(StringComparer.Ordinal);

    public string Directory { get; } = directory;

    public string? Folder => Directory;

    public IRasterWindowSource Open(string raster) => _open.GetOrAdd(raster, name =>
    {
        var folder = Path.Combine(Directory, name);
        if (File.Exists(Path.Combine(folder, GridFile)))
        {
            return new BlockFilesRaster(folder);
        }

        var path = PathOf(name);
        if (File.Exists(Path.Combine(path, GridFile)))
        {
            // Block files another job wrote under the inputs folder (a streamed zoning run's index handed to the cluster).
            return new BlockFilesRaster(path);
        }

        return File.Exists(path) ? new GdalRasterSource(path) : throw new FileNotFoundException($"No raster '{name}' in {Directory}.");
    });

    public void Write(string raster, GridSpec grid, BlockRect block, float[] cells)
    {
        var folder = Path.Combine(Directory, raster);
        System.IO.Directory.CreateDirectory(folder);
        var gridFile = Path.Combine(folder, GridFile);
        if (!File.Exists(gridFile))
        {
            AtomicWrite(gridFile, BlockFilesRaster.DescribeGrid(grid, block));
        }

        var path = Path.Combine(folder, BlockFilesRaster.FileName(block.Row, block.Column));
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp.tif";
        var blockGrid = grid with
        {
            Width = block.Width,
            Height = block.Height,
            Transform = grid.Transform with
            {
                OriginX = grid.Transform.OriginX + (block.X * grid.Transform.PixelWidth),
                OriginY = grid.Transform.OriginY + (block.Y * grid.Transform.PixelHeight),
            },
        };
        // Grades and classes compress to almost nothing; level 1 keeps the writer fast.
        using (var sink = new GdalRasterSink(
            temporary, blockGrid, creationOptions: ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "ZLEVEL=1", "BIGTIFF=IF_SAFER"]))
        {
            sink.WriteRows(0, block.Height, cells);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Writes a job's block raster as one Cloud-Optimized GeoTIFF (through a VRT mosaic of its blocks, so
    /// GDAL streams it): written beside the target and renamed, never half there.
    /// </summary>
    public void ExportCog(string raster, string path, bool categorical)
    {
        var folder = Path.Combine(Directory, raster);
        using var source = new BlockFilesRaster(folder);
        var vrt = Path.Combine(folder, "mosaic.vrt");
        AtomicWrite(vrt, source.Vrt());
        var temporary = path + ".tmp.tif";
        using (var ds = RasterDataset.Open(vrt, allowedDrivers: ["VRT", "GTiff"]))
        {
            ds.CopyToCog(temporary, CogWriter.CreationOptions(categorical));
        }

        File.Move(temporary, path, overwrite: true);
        File.Delete(temporary + ".aux.xml"); // statistics GDAL may have left beside the temporary name
    }

    public void Dispose()
    {
        foreach (var source in _open.Values)
        {
            (source as IDisposable)?.Dispose();
        }

        _open.Clear();
    }

    internal const string GridFile = "grid.txt";

    private string PathOf(string name) => Path.IsPathRooted(name) ? name : Path.Combine(inputs ?? Directory, name);

    /// <summary>Writes a text file whole or not at all (temporary name, then rename).</summary>
    public static void AtomicWrite(string path, string text)
    {
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>A raster stored as one GeoTIFF per block (see <see cref="BlockFileStorage"/>), read as windows.</summary>
public sealed class BlockFilesRaster : IRasterWindowSource, IDisposable
{
    private readonly string _folder;
    private readonly int _blockWidth;
    private readonly int _blockHeight;

    public BlockFilesRaster(string folder)
    {
        _folder = folder;
        var lines = File.ReadAllLines(Path.Combine(folder, BlockFileStorage.GridFile));
        double Number(int i) => double.Parse(lines[i], CultureInfo.InvariantCulture);
        Grid = new GridSpec((int)Number(0), (int)Number(1), new GeoTransform(Number(2), Number(3), Number(4), Number(5)), string.Join('\n', lines.Skip(8)));
        _blockWidth = (int)Number(6);
        _blockHeight = (int)Number(7);
    }

    public GridSpec Grid { get; }

    internal static string FileName(int row, int column) => string.Create(CultureInfo.InvariantCulture, $"{row}_{column}.tif");

    /// <summary>The grid file: size, transform, block size of the first block written (all blocks but the last row/column share it), CRS.</summary>
    internal static string DescribeGrid(GridSpec grid, BlockRect anyBlock)
    {
        // The layout's block size: x = column · width; a first-column block is full width unless it is the only column.
        var layoutWidth = anyBlock.Column > 0 ? anyBlock.X / anyBlock.Column : anyBlock.Width;
        var layoutHeight = anyBlock.Row > 0 ? anyBlock.Y / anyBlock.Row : anyBlock.Height;
        var t = grid.Transform;
        return string.Join(
            '\n',
            new object[] { grid.Width, grid.Height, t.OriginX.ToString(
                "R", CultureInfo.InvariantCulture), t.PixelWidth.ToString("R", CultureInfo.InvariantCulture),
            t.OriginY.ToString("R", CultureInfo.InvariantCulture), t.PixelHeight.ToString("R", CultureInfo.InvariantCulture), layoutWidth, layoutHeight }
            .Select(o => Convert.ToString(o, CultureInfo.InvariantCulture))) + "\n" + grid.CrsWkt;
    }

    public void ReadWindow(int x, int y, int width, int height, Span<float> destination)
    {
        if (width <= 0 || height <= 0)
        {
            return;
        }

        var buffer = new float[_blockWidth * _blockHeight];
        for (var row = y / _blockHeight; row * _blockHeight < y + height; row++)
        {
            for (var column = x / _blockWidth; column * _blockWidth < x + width; column++)
            {
                int bx = column * _blockWidth, by = row * _blockHeight;
                int x0 = Math.Max(x, bx), y0 = Math.Max(y, by);
                int x1 = Math.Min(x + width, Math.Min(Grid.Width, bx + _blockWidth)), y1 = Math.Min(y + height, Math.Min(Grid.Height, by + _blockHeight));
                var path = Path.Combine(_folder, FileName(row, column));
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException($"Block {row}_{column} of {Path.GetFileName(_folder)} has not been written.", path);
                }

                using var ds = RasterDataset.Open(path);
                var w = x1 - x0;
                var part = buffer.AsSpan(0, w * (y1 - y0));
                ds.Read(1, x0 - bx, y0 - by, w, y1 - y0, part);
                var noData = ds.GetNoData(1) is { } nd ? (float)nd : float.NaN;
                for (var r = 0; r < y1 - y0; r++)
                {
                    var src = part.Slice(r * w, w);
                    var dst = destination.Slice(((y0 - y + r) * width) + (x0 - x), w);
                    for (var i = 0; i < w; i++)
                    {
                        dst[i] = src[i] == noData ? float.NaN : src[i];
                    }
                }
            }
        }
    }

    /// <summary>A GDAL VRT mosaic of the block files (paths relative to the folder).</summary>
    internal string Vrt()
    {
        var t = Grid.Transform;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<VRTDataset rasterXSize=\"{Grid.Width}\" rasterYSize=\"{Grid.Height}\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"  <SRS>{SecurityElement.Escape(Grid.CrsWkt)}</SRS>\n");
        sb.Append(CultureInfo.InvariantCulture, $"  <GeoTransform>{t.OriginX:R}, {t.PixelWidth:R}, 0, {t.OriginY:R}, 0, {t.PixelHeight:R}</GeoTransform>\n");
        sb.Append("  <VRTRasterBand dataType=\"Float32\" band=\"1\">\n    <NoDataValue>-9999</NoDataValue>\n");
        for (var row = 0; row * _blockHeight < Grid.Height; row++)
        {
            for (var column = 0; column * _blockWidth < Grid.Width; column++)
            {
                int w = Math.Min(_blockWidth, Grid.Width - (column * _blockWidth)), h = Math.Min(_blockHeight, Grid.Height - (row * _blockHeight));
                sb.Append(
                    CultureInfo.InvariantCulture,
                    $"    <SimpleSource><SourceFilename relativeToVRT=\"1\">{FileName(row, column)}</SourceFilename><SourceBand>1</SourceBand>");
                sb.Append(
                    CultureInfo.InvariantCulture,
                    $"<SrcRect xOff=\"0\" yOff=\"0\" xSize=\"{w}\" ySize=\"{h}\"/><DstRect xOff=\"{column * _blockWidth}\" yOff=\"{row * _blockHeight}\" " +
                    $"xSize=\"{w}\" ySize=\"{h}\"/></SimpleSource>\n");
            }
        }

        sb.Append("  </VRTRasterBand>\n</VRTDataset>\n");
        return sb.ToString();
    }

    public void Dispose()
    {
    }
}
