using GeoRisk.Gdal;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace GeoRisk.Api;

/// <summary>Turns exceptions into ProblemDetails with a stable <c>code</c>; never exposes stack traces.</summary>
internal sealed class GeoRiskExceptionHandler(IProblemDetailsService problems, ILogger<GeoRiskExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, title) = exception switch
        {
            KeyNotFoundException => (StatusCodes.Status404NotFound, "not-found", exception.Message),
            // Request input is validated in the handlers (ValidationProblem); an ArgumentException that gets
            // this far is a server bug and stays a 500 rather than being blamed on the client.
            BadHttpRequestException { StatusCode: 413 } =>
                (StatusCodes.Status413PayloadTooLarge, "payload-too-large", "The request body is larger than allowed."),
            BadHttpRequestException bad => (bad.StatusCode, Problems.CodeFor(bad.StatusCode), bad.Message),
            GdalException => (StatusCodes.Status422UnprocessableEntity, "gdal-error", exception.Message),
            Core.InvalidInputException invalid => (StatusCodes.Status422UnprocessableEntity, invalid.Code, exception.Message),
            InvalidDataException => (StatusCodes.Status400BadRequest, "bad-request", exception.Message),
            OperationCanceledException => (499, "cancelled", "The request was cancelled."),
            _ => (StatusCodes.Status500InternalServerError, "internal-error", "An unexpected error occurred; it has been logged."),
        };
        if (status >= 500)
        {
            logger.LogError(exception, "Unhandled error on {Path}", httpContext.Request.Path);
        }

        httpContext.Response.StatusCode = status;
        var details = new ProblemDetails { Status = status, Title = title, Type = $"https://georisk.example/problems/{code}" };
        details.Extensions["code"] = code;
        details.Extensions["traceId"] = httpContext.TraceIdentifier;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details, Exception = exception });
    }
}
