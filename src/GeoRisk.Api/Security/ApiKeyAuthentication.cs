using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace GeoRisk.Api.Security;

/// <summary>
/// Authenticates <c>X-API-Key: grk_…</c> or <c>Authorization: Bearer grk_…</c>. No key: anonymous (reads may be
/// allowed). An unknown or revoked key: 401 on every route, even one anonymous users could read, so a
/// client never mistakes a bad key for a good one.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string FailedItem = "georisk:bad-key";

    /// <summary>Whether the request carries a key at all (anonymous requests cannot fail authentication).</summary>
    public static bool PresentsKey(HttpRequest request) =>
        request.Headers.ContainsKey("X-API-Key") || request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers["X-API-Key"].ToString();
        if (key.Length == 0 && Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = auth["Bearer ".Length..].Trim();
        }

        if (key.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var record = key.Length <= 200 ? keys.Find(key) : null;
        if (record is null)
        {
            Context.Items[FailedItem] = true;
            return Task.FromResult(AuthenticateResult.Fail("Unknown or revoked API key."));
        }

        // Roles nest: an admin is also a geologist and a planner.
        var claims = new List<Claim> { new(ClaimTypes.Name, record.Name), new("key_id", record.Id) };
        foreach (var role in Enum.GetValues<Role>().Where(r => r <= record.Role))
        {
            claims.Add(new Claim(ClaimTypes.Role, role.ToString().ToLowerInvariant()));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "ApiKey realm=\"georisk\", header=\"X-API-Key\"";
        return Task.CompletedTask;
    }
}

/// <summary>
/// Failed API-key authentications per client address and minute: beyond the limit every request with a key
/// answers 429 until the window ends, so keys cannot be guessed at request rate. Partitions of idle clients
/// are dropped by the rate-limiting library, so the set of tracked addresses stays bounded by recent traffic.
/// </summary>
public sealed class FailedAuthLimiter(int perMinute) : IDisposable
{
    private readonly System.Threading.RateLimiting.PartitionedRateLimiter<string> _limiter =
        System.Threading.RateLimiting.PartitionedRateLimiter.Create<string, string>(client =>
        System.Threading.RateLimiting.RateLimitPartition.GetFixedWindowLimiter(client, _ => new System.Threading.RateLimiting.FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, perMinute),
            Window = TimeSpan.FromMinutes(1),
        }));

    public static string Client(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public bool IsBlocked(string client)
    {
        using var probe = _limiter.AttemptAcquire(client, 0); // 0 permits: only asks whether any are left
        return !probe.IsAcquired;
    }

    public void Fail(string client) => _limiter.AttemptAcquire(client, 1).Dispose();

    public void Dispose() => _limiter.Dispose();
}

internal static class Policies
{
    public const string Read = "read";
    public const string Upload = "upload";
    public const string Admin = "admin";
    public const string Authenticated = "authenticated";
}
