using GeoRisk.Core.Validation;

namespace GeoRisk.Tests.Common;

/// <summary>A list that cancels a token when enumeration pass N reaches an index, to interrupt a store's publish mid-insert.</summary>
public sealed class CancellingList(List<GeoFeature> items, int cancelOnPass, int atIndex, CancellationTokenSource cts) : IReadOnlyList<GeoFeature>
{
    private int _pass;

    public bool Cancelled { get; private set; }

    public GeoFeature this[int index] => items[index];

    public int Count => items.Count;

    public IEnumerator<GeoFeature> GetEnumerator()
    {
        var pass = ++_pass;
        for (var i = 0; i < items.Count; i++)
        {
            if (pass == cancelOnPass && i == atIndex)
            {
                cts.Cancel();
                Cancelled = true;
            }

            yield return items[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
