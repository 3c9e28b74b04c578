using GeoRisk.Raster.Classify;
using GeoRisk.Raster.Vectorize;
using NetTopologySuite.Geometries;

namespace GeoRisk.Raster.Blocks;

/// <summary>
/// The boundary walks of one block for <see cref="BlockPolygonizer.Trace"/>: first the pieces entering the block's owned
/// corners from outside, then the rings that never leave them. Rings of components inside the block are kept as traced
/// rings, pieces of components crossing its edges as <see cref="RingChain"/>s.
/// </summary>
internal sealed class BlockRingWalk
{
    private readonly HaloWindow _window;
    private readonly BlockNeighbourhood _neighbourhood;
    private readonly GridSpec _grid;
    private readonly bool _eightConnected;
    private readonly BlockRect _block;
    private readonly long _cornersPerRow;
    private readonly ConnectedComponents _components;
    private readonly int[] _edgeIndex;

    // Owned corners: [_ox0, _ox1) × [_oy0, _oy1).
    private readonly int _ox0, _ox1, _oy0, _oy1, _ow;
    private readonly bool[] _visited;

    // The vertices of the walk in progress.
    private readonly List<int> _xs = [];
    private readonly List<int> _ys = [];
    private readonly List<bool> _junctions = [];
    private readonly List<LatticeRings.TracedRing> _localRings = [];
    private readonly List<RingChain> _chains = [];

    public BlockRingWalk(HaloWindow window, BlockNeighbourhood neighbourhood, GridSpec grid, bool eightConnected)
    {
        _window = window;
        _neighbourhood = neighbourhood;
        _grid = grid;
        _eightConnected = eightConnected;
        _block = window.Block;
        _cornersPerRow = (long)grid.Width + 1;
        _components = ConnectedComponents.Label(window.Core(), eightConnected);
        (_, _edgeIndex) = BlockBorder.Of(_block, _components);
        _ox0 = _block.X;
        _ox1 = _block.Right + (_block.Right == grid.Width ? 1 : 0);
        _oy0 = _block.Y;
        _oy1 = _block.Bottom + (_block.Bottom == grid.Height ? 1 : 0);
        _ow = _ox1 - _ox0;
        _visited = new bool[_ow * (_oy1 - _oy0) * 4];
    }

    /// <summary>Pieces entering from outside: arrivals at owned corners on the owned area's rim along an edge that starts at a corner outside it.</summary>
    public void WalkEntering()
    {
        int gw = _grid.Width, gh = _grid.Height;
        for (var cy = _oy0; cy < _oy1; cy++)
        {
            for (var cx = _ox0; cx < _ox1; cx++)
            {
                if (cy != _oy0 && cy != _oy1 - 1 && cx != _ox0 && cx != _ox1 - 1)
                {
                    continue;
                }

                for (var d = 0; d < 4; d++)
                {
                    int qx = cx - LatticeRings.DirectionX[d], qy = cy - LatticeRings.DirectionY[d];
                    if (Owned(qx, qy) || qx < 0 || qy < 0 || qx > gw || qy > gh || !IsBoundary(qx, qy, d, out var value))
                    {
                        continue;
                    }

                    var walk = Walk(cx, cy, d, value, closed: false, 0, 0, 0);
                    var (rx, ry) = RightCell(qx, qy, d);
                    Keep((((cy * _cornersPerRow) + cx) * 4) + d, walk, value, RefAt(rx, ry));
                }
            }
        }
    }

    /// <summary>What is left after <see cref="WalkEntering"/>: rings that never leave the block's corners.</summary>
    public void WalkClosed()
    {
        for (var cy = _oy0; cy < _oy1; cy++)
        {
            for (var cx = _ox0; cx < _ox1; cx++)
            {
                for (var d = 0; d < 4; d++)
                {
                    if (_visited[EdgeSlot(cx, cy, d)] || !IsBoundary(cx, cy, d, out var value))
                    {
                        continue;
                    }

                    _visited[EdgeSlot(cx, cy, d)] = true;
                    var walk = Walk(cx + LatticeRings.DirectionX[d], cy + LatticeRings.DirectionY[d], d, value, closed: true, cx, cy, d);
                    var (rx, ry) = RightCell(cx, cy, d);
                    Keep(-1, walk, value, RefAt(rx, ry));
                }
            }
        }
    }

    /// <summary>The block's finished polygons and its ring pieces, once both walks are done.</summary>
    public BlockPolygons Result(GeometryFactory factory)
    {
        _localRings.Sort((a, b) => a.Order.CompareTo(b.Order));
        var polygons = LatticeRings.Assemble(_localRings, _grid.Transform, _eightConnected, factory).Select(p => (PolygonOrder.From(p.Order), p.Polygon)).ToList();
        return new BlockPolygons { Block = _block.Index, Polygons = polygons, Chains = _chains };
    }

    private bool Owned(int cx, int cy) => cx >= _ox0 && cx < _ox1 && cy >= _oy0 && cy < _oy1;

    private int EdgeSlot(int cx, int cy, int d) => ((((cy - _oy0) * _ow) + (cx - _ox0)) * 4) + d;

    private float Cell(int x, int y) =>
        x >= _block.X - 1 && x <= _block.Right && y >= _block.Y - 1 && y <= _block.Bottom ? _window[x, y] : float.NaN;

    /// <summary>A component reference: a global id (≥ 0) or −(label + 1) for a component inside the block.</summary>
    private long RefAt(int x, int y)
    {
        if (x >= _block.X && x < _block.Right && y >= _block.Y && y < _block.Bottom)
        {
            var label = _components.Labels[x - _block.X, y - _block.Y];
            return label < 0 ? long.MinValue : _edgeIndex[label] >= 0 ? _neighbourhood.Own[_edgeIndex[label]] : -(long)label - 1;
        }

        var g = _neighbourhood.HaloId(_block, x, y);
        return g < 0 ? long.MinValue : g;
    }

    // The cells right and left of the edge leaving corner (cx, cy) heading d (image space, y down).
    private static (int X, int Y) RightCell(int cx, int cy, int d) => d switch
    {
        0 => (cx, cy),
        1 => (cx - 1, cy),
        2 => (cx - 1, cy - 1),
        _ => (cx, cy - 1),
    };

    private static (int X, int Y) LeftCell(int cx, int cy, int d) => d switch
    {
        0 => (cx, cy - 1),
        1 => (cx, cy),
        2 => (cx - 1, cy),
        _ => (cx - 1, cy - 1),
    };

    private bool IsBoundary(int cx, int cy, int d, out float value)
    {
        var (rx, ry) = RightCell(cx, cy, d);
        var (lx, ly) = LeftCell(cx, cy, d);
        value = Cell(rx, ry);
        return !float.IsNaN(value) && !value.Equals(Cell(lx, ly));
    }

    private bool IsJunctionAt(int cx, int cy) => LatticeRings.IsJunction(Cell(cx - 1, cy - 1), Cell(cx, cy - 1), Cell(cx - 1, cy), Cell(cx, cy));

    /// <summary>
    /// Walks from an arrival at owned corner (cx, cy) heading dir until the walk leaves the owned corners
    /// (returns the exit arrival) or, for a closed ring started on edge (x0, y0, d0), comes back to it.
    /// </summary>
    private WalkEnd Walk(int cx, int cy, int dir, float value, bool closed, int x0, int y0, int d0)
    {
        _xs.Clear();
        _ys.Clear();
        _junctions.Clear();
        var pinched = false;
        var startCorner = long.MaxValue;
        var split = 0;
        while (true)
        {
            float tl = Cell(cx - 1, cy - 1), tr = Cell(cx, cy - 1), bl = Cell(cx - 1, cy), br = Cell(cx, cy);
            var (next, vertex, saddle) = LatticeRings.Step(tl, tr, bl, br, value, dir, _eightConnected, cx, cy);
            if (vertex)
            {
                _xs.Add(cx);
                _ys.Add(cy);
                _junctions.Add(LatticeRings.IsJunction(tl, tr, bl, br));
            }

            pinched |= saddle;
            if (next == 0)
            {
                var corner = (cy * _cornersPerRow) + cx;
                if (corner < startCorner)
                {
                    (startCorner, split) = (corner, _xs.Count);
                }
            }

            if (closed && cx == x0 && cy == y0 && next == d0)
            {
                return new WalkEnd(-1, pinched, startCorner, split);
            }

            _visited[EdgeSlot(cx, cy, next)] = true;
            cx += LatticeRings.DirectionX[next];
            cy += LatticeRings.DirectionY[next];
            dir = next;
            if (!Owned(cx, cy))
            {
                if (closed)
                {
                    throw new InvalidOperationException($"A ring left block {_block.Index} at corner ({cx}, {cy}) without having entered it.");
                }

                return new WalkEnd((((cy * _cornersPerRow) + cx) * 4) + dir, pinched, startCorner, split);
            }
        }
    }

    private void Keep(long entry, WalkEnd walk, float value, long component)
    {
        if (component < 0 && entry < 0)
        {
            KeepLocalRing(walk, value, component);
            return;
        }

        if (component < 0)
        {
            throw new InvalidOperationException($"A boundary crossing the edge of block {_block.Index} belongs to a component inside it.");
        }

        _chains.Add(new RingChain
        {
            Entry = entry,
            Exit = walk.Exit,
            Component = (int)component,
            Value = value,
            Xs = [.. _xs],
            Ys = [.. _ys],
            Junctions = [.. _junctions],
            Pinched = walk.Pinched,
            StartCorner = walk.StartCorner,
            Split = walk.Split,
        });
    }

    /// <summary>A ring of a component inside the block: finished here.</summary>
    private void KeepLocalRing(WalkEnd walk, float value, long component)
    {
        var vertices = new List<(int X, int Y)>(_xs.Count);
        for (var i = walk.Split; i < _xs.Count; i++)
        {
            vertices.Add((_xs[i], _ys[i]));
        }

        for (var i = 0; i < walk.Split; i++)
        {
            vertices.Add((_xs[i], _ys[i]));
        }

        var first = _localRings.Count;
        LatticeRings.AddRings(_localRings, vertices, walk.Pinched, IsJunctionAt, value, _grid.Transform, walk.StartCorner);
        for (var i = first; i < _localRings.Count; i++)
        {
            _localRings[i] = _localRings[i] with { Component = component };
        }
    }

    /// <summary>How a walk ended: the exit arrival (−1 for a closed ring), whether it passed a saddle, and where the whole-grid tracer would start it.</summary>
    private readonly record struct WalkEnd(long Exit, bool Pinched, long StartCorner, int Split);
}
