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
