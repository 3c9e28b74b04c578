using Microsoft.Net.Http.Headers;

namespace GeoRisk.Api;

/// <summary>
/// Conditional GETs (RFC 9110 §8.8.3, §13.1.2). Each representation has its own strong ETag, so a cache never
/// answers a gzip request with identity bytes; If-None-Match uses the weak comparison, so W/"…" (what nginx
/// sends after compressing) and * both revalidate.
/// </summary>
internal static class EntityTags
{
    /// <summary>The ETag of the gzip representation of content whose identity ETag is <paramref name="identity"/>.</summary>
    public static string Gzip(string identity) => identity.EndsWith('"') ? identity[..^1] + "-gz\"" : identity + "-gz";

    /// <summary>True when If-None-Match names <paramref name="etag"/> (weakly) or is *: answer 304.</summary>
    public static bool NoneMatch(HttpRequest request, string etag)
    {
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0 || !EntityTagHeaderValue.TryParse(etag, out var current))
        {
            return false;
        }

        if (!EntityTagHeaderValue.TryParseList(header, out var tags))
        {
            // An unparsable header is ignored, as if absent: the full response is always a correct answer.
            return false;
        }

        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: false));
    }

    /// <summary>Picks the representation by Accept-Encoding (gzip unless refused with q=0).</summary>
    /// <remarks>Read without the typed-header parser: it runs on every tile request and allocated a list per request.</remarks>
    public static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var header in request.Headers.AcceptEncoding)
        {
            foreach (var range in (header ?? "").AsSpan().Split(','))
            {
                var coding = (header ?? "").AsSpan()[range].Trim();
                var semicolon = coding.IndexOf(';');
                var name = (semicolon < 0 ? coding : coding[..semicolon]).Trim();
                if (!name.Equals("gzip", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                // The weight: "q=0", "q=0.0" … refuse; anything else (or none) accepts.
                var quality = 1.0;
                foreach (var p in coding[(semicolon < 0 ? coding.Length : semicolon + 1)..].Split(';'))
                {
                    var parameter = coding[(semicolon + 1)..][p].Trim();
                    if (parameter.StartsWith("q=", StringComparison.OrdinalIgnoreCase) &&
                        double.TryParse(
                        parameter[2..], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var q))
                    {
                        quality = q;
                    }
                }

                return quality > 0;
            }
        }

        return false;
    }
}
