using System.Text.Json;

namespace GeoRisk.Api.Tests;

/// <summary>Waits for a job over HTTP. Every caller gets a finished job or a failed test: never a silent fall-through.</summary>
internal static class JobPolling
{
    /// <summary>A hang guard, not a speed target: a job that is still unfinished after it is reported with its last state.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(10);

    public static async Task<JsonElement> WaitForJob(HttpClient client, string location)
    {
        using var timeout = new CancellationTokenSource(HangGuard);
        var last = "";
        try
        {
            while (true)
            {
                var job = JsonDocument.Parse(await client.GetStringAsync(new Uri(location, UriKind.Relative), timeout.Token)).RootElement;
                last = job.ToString();
                if (job.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled")
                {
                    return job;
                }

                await Task.Delay(100, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"job {location} unfinished after {HangGuard}: {last}");
        }
    }

    /// <summary>Waits for the job and fails the test, with the job, unless it succeeded.</summary>
    public static async Task<JsonElement> WaitForSuccess(HttpClient client, string location)
    {
        var job = await WaitForJob(client, location);
        Assert.True(job.GetProperty("state").GetString() == "succeeded", job.ToString());
        return job;
    }
}
