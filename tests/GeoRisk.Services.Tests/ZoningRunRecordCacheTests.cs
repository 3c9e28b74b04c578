using System.Text.Json.Nodes;
using GeoRisk.Core.Storage;

namespace GeoRisk.Services.Tests;

/// <summary>The parsed-record cache of the read paths: one parse per record, never a record of another run.</summary>
[Collection(LoadedStoreCollection.Name)]
public sealed class ZoningRunRecordCacheTests(LoadedStoreFixture fixture)
{
    [Fact]
    public async Task Parsed_ParsesEachRecordOnce_AndTellsRecordsApartByContent()
    {
        var (store, dir) = await fixture.CopyAsync();
        using var _ = dir;
        await using var __ = store;
        var run = (await new ZoningRunService(store).RunAsync(LoadedStoreFixture.DefaultModel(2000))).Run;

        var first = ZoningRunRecord.Parsed(run);
        Assert.Same(first, ZoningRunRecord.Parsed(run));
        // The store hands out a new string per read: equal content is the same record.
        Assert.Same(first, ZoningRunRecord.Parsed(run with { RecordJson = new string(run.RecordJson.AsSpan()) }));
        Assert.Equal(ZoningRunRecord.FromJson(run.RecordJson).CellsSha256, first.CellsSha256);

        // Another store's run 1 with a different record (same id, same key) is parsed from its own JSON.
        var other = JsonNode.Parse(run.RecordJson)!;
        other["modelName"] = "another-model";
        var otherRun = run with { RecordJson = other.ToJsonString() };
        var otherRecord = ZoningRunRecord.Parsed(otherRun);
        Assert.NotSame(first, otherRecord);
        Assert.Equal("another-model", otherRecord.ModelName);
        Assert.Equal(run.ModelName, ZoningRunRecord.Parsed(run).ModelName);

        // Bounded: after many other records the first is parsed again (a new instance with the same content).
        for (var i = 0; i < 20; i++)
        {
            other["modelName"] = $"model-{i}";
            ZoningRunRecord.Parsed(run with { RecordJson = other.ToJsonString() });
        }

        var again = ZoningRunRecord.Parsed(run);
        Assert.NotSame(first, again);
        Assert.Equal(first.CellsSha256, again.CellsSha256);
    }
}
