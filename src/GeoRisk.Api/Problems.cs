using Microsoft.AspNetCore.Mvc;

namespace GeoRisk.Api;

/// <summary>ProblemDetails responses with the stable <c>code</c> extension every GeoRisk error carries.</summary>
internal static class Problems
{
    public static IResult Create(int status, string code, string title, IDictionary<string, object?>? extensions = null)
    {
        var ext = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["code"] = code };
        return TypedResults.Problem(statusCode: status, title: title, type: $"https://georisk.example/problems/{code}", extensions: ext);
    }

    /// <summary>The code for a status that no handler described (401 from authentication, 404 from routing, 405, 413, 429 …).</summary>
    public static string CodeFor(int status) => status switch
    {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        408 => "request-timeout",
        413 => "payload-too-large",
        415 => "unsupported-media-type",
        422 => "unprocessable",
        429 => "rate-limited",
        _ => status >= 500 ? "internal-error" : "error",
    };

    /// <summary>Adds a code to every ProblemDetails that lacks one.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        if (!details.Extensions.ContainsKey("code"))
        {
            details.Extensions["code"] = CodeFor(details.Status ?? context.HttpContext.Response.StatusCode);
        }

        details.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
    }
}
