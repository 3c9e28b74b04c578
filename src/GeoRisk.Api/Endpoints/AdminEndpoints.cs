using System.Globalization;
using GeoRisk.Api.Security;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;

namespace GeoRisk.Api.Endpoints;

public sealed record KeyRequest(string Name, string Role);

public sealed record KeySummary(string Id, string Name, string Role, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>Body of POST /api/v1/surveys/{id}/acceptance: the acceptance date and, optionally, the scale the admin confirms.</summary>
public sealed record AcceptanceRequest(DateOnly? AcceptedOn, int? Scale);

/// <summary>What only an admin key may do: manage keys, accept surveys (which sets their precedence), check the store.</summary>
internal static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin").WithTags("Administration").RequireAuthorization(Policies.Admin).RequireRateLimiting("writes");
        admin.MapGet("/keys", (ApiKeyStore keys) => TypedResults.Ok(keys.List().Select(Summary).ToList())).WithName("ListKeys");
        admin.MapPost("/keys", CreateKey).WithName("CreateKey");
        admin.MapDelete("/keys/{id}", (string id, ApiKeyStore keys) =>
            keys.Revoke(id) ? TypedResults.NoContent() : Problems.Create(404, "not-found", $"No key '{id}'.")).WithName("RevokeKey");
        admin.MapPost("/store/check", CheckStore).WithName("CheckStore");
        app.MapPost("/api/v1/surveys/{surveyId}/acceptance", AcceptSurvey).WithName("AcceptSurvey").WithTags("Administration")
            .RequireAuthorization(Policies.Admin).RequireRateLimiting("writes");
        return app;
    }

    private static KeySummary Summary(ApiKeyRecord k) => new(k.Id, k.Name, k.Role.ToString().ToLowerInvariant(), k.CreatedAt, k.RevokedAt);

    private static IResult CreateKey(KeyRequest body, ApiKeyStore keys)
    {
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100 || body.Name.Any(char.IsControl))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["name is 1-100 printable characters."] });
        }

        if (!Enum.TryParse<Role>(body.Role, ignoreCase: true, out var role) || !Enum.IsDefined(role) || body.Role.Any(char.IsAsciiDigit))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["role"] = ["role must be planner, geologist or admin."] });
        }

        var (record, key) = keys.Create(body.Name.Trim(), role);
        // The only time the key is visible, as with `georisk keys add`.
        return TypedResults.Created(
            $"/api/v1/admin/keys/{record.Id}", new { record.Id, record.Name, role = record.Role.ToString().ToLowerInvariant(), record.CreatedAt, key });
    }

    private static async Task<IResult> CheckStore(IGeoRiskStore store, CancellationToken ct)
    {
        var problems = await store.CheckConsistencyAsync(ct);
        return TypedResults.Ok(new { consistent = problems.Count == 0, problems });
    }

    private static async Task<IResult> AcceptSurvey(string surveyId, AcceptanceRequest body, IGeoRiskStore store, CancellationToken ct)
    {
        var survey = (await store.ListSurveysAsync(ct)).FirstOrDefault(s => s.Id == surveyId);
        if (survey is null)
        {
            return Problems.Create(404, "not-found", $"Survey '{surveyId}' is not registered.");
        }

        var errors = new Dictionary<string, string[]>();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        if (body.AcceptedOn is not { } acceptedOn)
        {
            errors["acceptedOn"] = ["acceptedOn (yyyy-MM-dd) is required."];
        }
        else if (acceptedOn > today.AddDays(1) || acceptedOn.Year < 1950)
        {
            errors["acceptedOn"] = [$"acceptedOn must lie between 1950-01-01 and today ({today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})."];
        }

        if (body.Scale is < 0 or > 10_000_000)
        {
            errors["scale"] = ["scale is a scale denominator (0 for reference data, else e.g. 10000 or 50000)."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var accepted = survey with { Accepted = true, AcceptedOn = body.AcceptedOn, ScaleDenominator = body.Scale ?? survey.ScaleDenominator };
        await store.UpsertSurveyAsync(accepted, null, ct); // a null coverage keeps the stored one
        return TypedResults.Ok(accepted);
    }
}
