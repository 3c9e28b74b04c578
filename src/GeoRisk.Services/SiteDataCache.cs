using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using GeoRisk.Core.Risk;
using GeoRisk.Core.Storage;
using GeoRisk.Core.Surveys;
using GeoRisk.Core.Validation;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace GeoRisk.Services;

/// <summary>
/// What site answers read from the store, kept between answers so a warm answer runs no query (limits in docs/SECURITY.md,
/// "Resource limits"): the catalog (layers, surveys, the current run and the survey coverages) until the store's change stamp
/// moves, and the features of layer versions and the zones of runs — both immutable once stored — in an STR tree each.
/// A site answer used to make 15–20 catalog and feature queries, each decoding the same county outlines and fault traces
/// again. Layer versions and runs too big for the budget are queried from the store as before.
/// </summary>
internal sealed class SiteDataCache
{
    /// <summary>Layers and zone sets with more features than this are never loaded whole.</summary>
    public const long MaxFeaturesPerSet = 50_000;

    /// <summary>Vertices kept over all sets (≈ 60 bytes each with their features); the least recently used set goes first.</summary>
    public const long VertexBudget = 4_000_000;

    private static readonly ConditionalWeakTable<IGeoRiskStore, SiteDataCache> s_byStore = [];

    private readonly IGeoRiskStore _store;
    private readonly ConcurrentDictionary<string, Lazy<Task<FeatureSet?>>> _sets = new(StringComparer.Ordinal);
    private readonly long _vertexBudget;
    private long _clock;
    private volatile Catalog? _catalog;

    internal SiteDataCache(IGeoRiskStore store, long vertexBudget = VertexBudget)
    {
        _store = store;
        _vertexBudget = vertexBudget;
    }

    /// <summary>The cache of one store instance, alive as long as the store.</summary>
    public static SiteDataCache For(IGeoRiskStore store) => s_byStore.GetValue(store, s => new SiteDataCache(s));

    /// <summary>Sets of features held now (for tests and diagnostics).</summary>
    internal int LoadedSets => _sets.Values.Count(l => l.IsValueCreated && l.Value.IsCompletedSuccessfully && l.Value.Result is not null);

    /// <summary>
    /// Layers, surveys and the current run as of one moment. A store without a change stamp (PostGIS: other processes write
    /// without telling) is read every time; the feature sets below stay valid anyway, being keyed by immutable versions.
    /// </summary>
    public async Task<Catalog> CatalogAsync(CancellationToken cancellationToken)
    {
        // Read before the catalog, so a write that lands while it is read leaves a stamp that differs next time.
        var stamp = _store.ChangeStamp;
        if (stamp is not null && _catalog is { } known && known.Stamp == stamp)
        {
            return known;
        }

        var catalog = new Catalog(stamp, await _store.ListLayersAsync(cancellationToken), await _store.ListSurveysAsync(cancellationToken),
            await _store.GetZoningRunAsync(null, cancellationToken));
        if (stamp is not null)
        {
            _catalog = catalog;
        }

        return catalog;
    }

    /// <summary>A survey's coverage, kept with the catalog it was read under.</summary>
    public async Task<Geometry?> CoverageAsync(Catalog catalog, string surveyId, CancellationToken cancellationToken)
    {
        if (catalog.Coverages.TryGetValue(surveyId, out var known))
        {
            return known;
        }

        var coverage = await _store.GetSurveyCoverageAsync(surveyId, cancellationToken);
        return catalog.Stamp is null ? coverage : catalog.Coverages.GetOrAdd(surveyId, coverage);
    }

    /// <summary>The layer's current features whose envelope intersects <paramref name="bbox"/>, in feature id order as the store gives them.</summary>
    public async Task<IReadOnlyList<GeoFeature>> FeaturesAsync(LayerInfo layer, Envelope bbox, CancellationToken cancellationToken)
    {
        var set = await LayerSetAsync(layer);
        return set is not null ? set.Query(bbox) : await _store.QueryFeaturesAsync(layer.SurveyId, layer.Name, bbox, 100_000, 0, cancellationToken);
    }

    /// <summary>Every current feature of the layer, in feature id order.</summary>
    public async Task<IReadOnlyList<GeoFeature>> AllFeaturesAsync(LayerInfo layer, CancellationToken cancellationToken)
    {
        var set = await LayerSetAsync(layer);
        return set is not null ? set.Features : await _store.QueryFeaturesAsync(layer.SurveyId, layer.Name, null, int.MaxValue, 0, cancellationToken);
    }

    /// <summary>The layer's current version as a cached set; null when the layer is too big to hold whole.</summary>
    private Task<FeatureSet?> LayerSetAsync(LayerInfo layer) =>
        layer.FeatureCount <= MaxFeaturesPerSet
            ? SetAsync(
                $"layer {layer.Id}@{layer.CurrentVersion}",
                () => _store.QueryFeaturesAsync(layer.SurveyId, layer.Name, null, int.MaxValue, 0, CancellationToken.None))
            : Task.FromResult<FeatureSet?>(null);

    /// <summary>The zones of one product of a run whose envelope intersects <paramref name="bbox"/>, in zone order.</summary>
    public async Task<IReadOnlyList<GeoFeature>> ZonesAsync(ZoningRunInfo run, ZoningProduct product, Envelope bbox, CancellationToken cancellationToken)
    {
        var count = TileService.ZoneCounts(run).GetValueOrDefault(product);
        var set = count <= MaxFeaturesPerSet
            ? await SetAsync($"zones {run.Id}/{product}", () => _store.QueryZonesAsync(run.Id, null, int.MaxValue, 0, CancellationToken.None, product))
            : null;
        return set is not null ? set.Query(bbox) : await _store.QueryZonesAsync(run.Id, bbox, 16, 0, cancellationToken, product);
    }

    /// <summary>
    /// Reads what the first site answers would: the catalog, the coverages, the features of the layer kinds a site answer
    /// reads and the current run's prevention zones, so a burst of answers after a start does not queue behind those loads.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var catalog = await CatalogAsync(cancellationToken);
        foreach (var survey in catalog.Surveys)
        {
            await CoverageAsync(catalog, survey.Id, cancellationToken);
        }

        foreach (var layer in catalog.Layers.Where(l => SiteRiskService.LayerKindsRead.Contains(l.Kind) && l.FeatureCount <= MaxFeaturesPerSet))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await AllFeaturesAsync(layer, cancellationToken);
        }

        if (catalog.Run is { } run && SiteRiskService.PreventionProduct(ZoningRunRecord.Parsed(run)) is var product &&
            TileService.ZoneCounts(run).GetValueOrDefault(product) <= MaxFeaturesPerSet)
        {
            await ZonesAsync(run, product, new Envelope(), cancellationToken);
        }
    }

    /// <summary>
    /// The set under <paramref name="key"/>, loaded once however many answers ask at the same time (the load is not cancelled
    /// by the first caller's token: the others wait on it); null when it is over the vertex budget by itself.
    /// </summary>
    private async Task<FeatureSet?> SetAsync(string key, Func<Task<IReadOnlyList<GeoFeature>>> load)
    {
        var loadedHere = false;
        var lazy = _sets.GetOrAdd(key, _ => new Lazy<Task<FeatureSet?>>(async () =>
        {
            loadedHere = true;
            var features = await load();
            var set = new FeatureSet(features);
            return set.Vertices > _vertexBudget ? null : set;
        }));
        FeatureSet? loaded;
        try
        {
            loaded = await lazy.Value;
        }
        catch
        {
            _sets.TryRemove(new KeyValuePair<string, Lazy<Task<FeatureSet?>>>(key, lazy)); // a failed load is tried again next time
            throw;
        }

        if (loaded is not null)
        {
            loaded.LastUsed = Interlocked.Increment(ref _clock);
            if (loadedHere)
            {
                Trim(key); // only a new set can take the total over the budget: warm answers skip the walk over every set
            }
        }

        return loaded;
    }

    /// <summary>Drops the least recently used sets until the rest fit the vertex budget, never the one just used.</summary>
    private void Trim(string keep)
    {
        var loaded = _sets.Where(kv => kv.Value.IsValueCreated && kv.Value.Value.IsCompletedSuccessfully && kv.Value.Value.Result is not null)
            .Select(kv => (kv.Key, Set: kv.Value.Value.Result!)).ToList();
        var total = loaded.Sum(s => s.Set.Vertices);
        foreach (var (key, set) in loaded.OrderBy(s => s.Set.LastUsed))
        {
            if (total <= _vertexBudget)
            {
                break;
            }

            if (key != keep && _sets.TryRemove(key, out _))
            {
                total -= set.Vertices;
            }
        }
    }

    /// <summary>The catalog as read at one change stamp, with the coverages read since.</summary>
    internal sealed record Catalog(string? Stamp, IReadOnlyList<LayerInfo> Layers, IReadOnlyList<SurveyInfo> Surveys, ZoningRunInfo? Run)
    {
        public ConcurrentDictionary<string, Geometry?> Coverages { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Features in store order with an STR tree over their envelopes.</summary>
    private sealed class FeatureSet
    {
        private readonly STRtree<int> _tree = new();

        public FeatureSet(IReadOnlyList<GeoFeature> features)
        {
            Features = features;
            for (var i = 0; i < features.Count; i++)
            {
                Vertices += features[i].Geometry.NumPoints;
                _tree.Insert(features[i].Geometry.EnvelopeInternal, i);
            }

            _tree.Build();
        }

        public IReadOnlyList<GeoFeature> Features { get; }

        public long Vertices { get; }

        public long LastUsed { get; set; }

        /// <summary>Features whose envelope intersects the box, in store order (the order the store's own query returns).</summary>
        public List<GeoFeature> Query(Envelope bbox)
        {
            var hits = _tree.Query(bbox);
            var order = hits as List<int> ?? [.. hits];
            order.Sort();
            return order.ConvertAll(i => Features[i]);
        }
    }
}
