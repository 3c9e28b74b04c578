using System.IO.Compression;

namespace GeoRisk.Gdal.Ingestion;

/// <summary>Limits for unpacking an uploaded zip.</summary>
public sealed record ArchiveBudgets(
    int MaxEntries = 256, long MaxTotalBytes = 2L << 30, long MaxEntryBytes = 1L << 30, double MaxCompressionRatio = 1000);

/// <summary>Raised when an upload is malformed or hostile; the message is safe to show to the uploader.</summary>
public sealed class UploadRejectedException(string code, string message) : Exception(message)
{
    /// <summary>A stable machine-readable reason ("zip-slip", "zip-bomb", "unsupported-format", …).</summary>
    public string Code { get; } = code;
}

/// <summary>
/// Unpacks an uploaded zip into a fresh folder, refusing path traversal (zip slip), links, nested archives,
/// too many entries and decompression bombs. Sizes are enforced while copying, not trusted from headers.
/// </summary>
public static class SafeArchive
{
    private static readonly HashSet<string> s_nestedArchiveExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".zip", ".7z", ".rar", ".gz", ".tar", ".tgz", ".bz2", ".xz",
    };

    /// <exception cref="UploadRejectedException">The archive is corrupt, hostile or over budget.</exception>
    public static void ExtractTo(string zipPath, string destination, ArchiveBudgets? budgets = null)
    {
        budgets ??= new ArchiveBudgets();
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(root);
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException ex)
        {
            throw new UploadRejectedException("corrupt-archive", $"The zip file is corrupt: {ex.Message}");
        }

        using (archive)
        {
            if (archive.Entries.Count > budgets.MaxEntries)
            {
                throw new UploadRejectedException(
                    "archive-too-many-entries", $"The zip has {archive.Entries.Count} entries; at most {budgets.MaxEntries} are accepted.");
            }

            long total = 0;
            var buffer = new byte[81920];
            foreach (var entry in archive.Entries)
            {
                var target = CheckedTarget(root, entry);
                if (entry.FullName.EndsWith('/'))
                {
                    Directory.CreateDirectory(target);
                    continue;
                }

                if (s_nestedArchiveExtensions.Contains(Path.GetExtension(entry.Name)))
                {
                    throw new UploadRejectedException(
                        "nested-archive", $"Zip entry '{entry.FullName}' is itself an archive; upload its content directly.");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                total = CopyEntry(entry, target, buffer, total, budgets);
            }
        }
    }

    /// <summary>The entry's full path under <paramref name="root"/>; refuses entries that leave it (zip slip) and symbolic links.</summary>
    private static string CheckedTarget(string root, ZipArchiveEntry entry)
    {
        var target = Path.GetFullPath(Path.Combine(root, entry.FullName));
        if (!target.StartsWith(root, StringComparison.Ordinal) || Path.IsPathRooted(entry.FullName) || entry.FullName.Contains("..", StringComparison.Ordinal))
        {
            throw new UploadRejectedException("zip-slip", $"Zip entry '{entry.FullName}' points outside the archive.");
        }

        // Unix mode bits live in the top 16 bits; 0xA000 is a symbolic link.
        if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000)
        {
            throw new UploadRejectedException("archive-link", $"Zip entry '{entry.FullName}' is a symbolic link.");
        }

        return target;
    }

    /// <summary>
    /// Copies one entry to <paramref name="target"/>, counting the bytes actually inflated against the entry, total and
    /// compression-ratio budgets; returns the new total of bytes written by the whole archive.
    /// </summary>
    private static long CopyEntry(ZipArchiveEntry entry, string target, byte[] buffer, long total, ArchiveBudgets budgets)
    {
        try
        {
            using var input = entry.Open();
            using var output = File.Create(target);
            long written = 0;
            int read;
            while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                written += read;
                total += read;
                if (written > budgets.MaxEntryBytes || total > budgets.MaxTotalBytes)
                {
                    throw new UploadRejectedException(
                        "zip-bomb", $"The zip expands beyond {budgets.MaxTotalBytes / (1 << 20)} MiB (entry '{entry.FullName}').");
                }

                if (written > (16 << 20) && written > entry.CompressedLength * budgets.MaxCompressionRatio)
                {
                    throw new UploadRejectedException(
                        "zip-bomb", $"Zip entry '{entry.FullName}' expands more than {budgets.MaxCompressionRatio}:1.");
                }

                output.Write(buffer, 0, read);
            }

            return total;
        }
        catch (InvalidDataException ex)
        {
            throw new UploadRejectedException("corrupt-archive", $"Zip entry '{entry.FullName}' is corrupt: {ex.Message}");
        }
    }
}
