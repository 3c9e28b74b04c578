using GeoRisk.Core.Storage;

namespace GeoRisk.Storage;

/// <summary>
/// Moves a staged raster into a store's raster folder while its catalog row is written, and takes it out
/// again when that write fails, so a failed publish leaves no file behind. (A process that dies between
/// the move and the commit leaves an unreferenced file, which the store removes at start-up.) File I/O, so it
/// lives here beside the stores, not in Core.
/// </summary>
internal sealed class StagedRasterPlacement(string root)
{
    private string? _placed;

    /// <summary>Moves <paramref name="stagedFile"/> to <paramref name="relativePath"/> under the root and returns the relative path.</summary>
    public string Place(string stagedFile, string relativePath)
    {
        var finalPath = Path.Combine(root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(finalPath)!);
        _placed = finalPath;
        File.Move(stagedFile, finalPath, overwrite: true);
        return relativePath;
    }

    /// <summary>Deletes the placed file, if any (call when the publish failed).</summary>
    public void Undo()
    {
        if (_placed is not null && File.Exists(_placed))
        {
            File.Delete(_placed);
        }
    }
}

/// <summary>
/// A zoning run's raster folder: staged COGs (and their PAM sidecars) move in before the commit, and the folder is
/// deleted again unless the commit succeeded (<see cref="Keep"/>). A folder a crashed publish left behind is replaced.
/// </summary>
internal sealed class StagedRunFolder(string root, string relativeDirectory)
{
    private string? _created;

    /// <summary>Moves every staged raster to &lt;folder&gt;/&lt;name&gt;.tif; returns name → path relative to the root, by name.</summary>
    public SortedDictionary<string, string> MoveIn(IReadOnlyDictionary<string, string> staged)
    {
        var directory = Path.Combine(root, relativeDirectory);
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        _created = directory;
        Directory.CreateDirectory(directory);
        var rasters = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, file) in staged)
        {
            var relative = Path.Combine(relativeDirectory, name + ".tif");
            File.Move(file, Path.Combine(root, relative), overwrite: true);
            if (File.Exists(file + RasterSidecars.Pam))
            {
                // A class raster's category names live in GDAL's PAM sidecar (CogWriter): it travels with the COG.
                File.Move(file + RasterSidecars.Pam, Path.Combine(root, relative) + RasterSidecars.Pam, overwrite: true);
            }

            rasters[name] = relative;
        }

        return rasters;
    }

    /// <summary>The run committed: the folder stays.</summary>
    public void Keep() => _created = null;

    /// <summary>Deletes the folder unless <see cref="Keep"/> was called.</summary>
    public void Undo()
    {
        if (_created is not null && Directory.Exists(_created))
        {
            Directory.Delete(_created, recursive: true);
        }
    }
}
