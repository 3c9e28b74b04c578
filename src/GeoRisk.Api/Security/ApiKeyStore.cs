using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GeoRisk.Api.Security;

public enum Role
{
    Planner,
    Geologist,
    Admin,
}

/// <summary>A stored key: only its SHA-256 is kept, never the key itself.</summary>
public sealed record ApiKeyRecord(string Id, string Name, Role Role, string Sha256, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt = null);

/// <summary>
/// API keys in <c>apikeys.json</c> beside the store, hashed with SHA-256 (keys are 256-bit random, so a
/// slow password hash adds nothing). The file is re-read when it changes, so <c>georisk keys revoke</c>
/// takes effect on a running service without a restart.
/// </summary>
public sealed class ApiKeyStore(string directory)
{
    private const string FileName = "apikeys.json";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
    private readonly object _gate = new();
    private (DateTime Stamp, long Length, List<ApiKeyRecord> Keys)? _cache;

    public string Path => System.IO.Path.Combine(directory, FileName);

    public IReadOnlyList<ApiKeyRecord> List()
    {
        lock (_gate)
        {
            if (!File.Exists(Path))
            {
                return [];
            }

            var info = new FileInfo(Path);
            if (_cache is { } c && c.Stamp == info.LastWriteTimeUtc && c.Length == info.Length)
            {
                return c.Keys;
            }

            var keys = JsonSerializer.Deserialize<List<ApiKeyRecord>>(File.ReadAllText(Path), s_json) ?? [];
            _cache = (info.LastWriteTimeUtc, info.Length, keys);
            return keys;
        }
    }

    /// <summary>Creates a key and returns it; this is the only time the key is visible.</summary>
    public (ApiKeyRecord Record, string Key) Create(string name, Role role)
    {
        var key = "grk_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var record = new ApiKeyRecord(Base64Url(RandomNumberGenerator.GetBytes(6)), name, role, Hash(key), DateTimeOffset.UtcNow);
        lock (_gate)
        {
            Save([.. List(), record]);
        }

        return (record, key);
    }

    /// <returns>False when no key has that id.</returns>
    public bool Revoke(string id)
    {
        lock (_gate)
        {
            var keys = List().ToList();
            var i = keys.FindIndex(k => k.Id == id);
            if (i < 0)
            {
                return false;
            }

            keys[i] = keys[i] with { RevokedAt = DateTimeOffset.UtcNow };
            Save(keys);
            return true;
        }
    }

    /// <summary>The active key matching <paramref name="key"/>, compared by hash in constant time; null when unknown or revoked.</summary>
    public ApiKeyRecord? Find(string key)
    {
        var hash = Convert.FromHexString(Hash(key));
        ApiKeyRecord? found = null;
        foreach (var record in List())
        {
            if (CryptographicOperations.FixedTimeEquals(hash, Convert.FromHexString(record.Sha256)))
            {
                found = record;
            }
        }

        return found?.RevokedAt is null ? found : null;
    }

    private void Save(List<ApiKeyRecord> keys)
    {
        Directory.CreateDirectory(directory);
        var temp = Path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(keys, s_json));
        File.Move(temp, Path, overwrite: true);
        _cache = null;
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
