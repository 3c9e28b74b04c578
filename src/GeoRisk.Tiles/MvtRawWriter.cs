namespace GeoRisk.Tiles;

/// <summary>Writes decoded layers back as a tile, command for command (re-encoding, filtering layers of a tile).</summary>
public static class MvtRawWriter
{
    public static byte[] Write(IReadOnlyList<DecodedLayer> layers)
    {
        var tile = new ProtoWriter();
        foreach (var layer in layers)
        {
            var w = new ProtoWriter();
            if (layer.Version is { } version)
            {
                w.UInt(15, version);
            }
            if (layer.Name is not null)
            {
                w.String(1, layer.Name);
            }

            foreach (var f in layer.Features)
            {
                var fw = new ProtoWriter();
                if (f.Id is { } id)
                {
                    fw.UInt(1, id);
                }

                fw.Packed(2, f.Tags);
                if (f.Type is { } type)
                {
                    fw.UInt(3, (ulong)type);
                }
                fw.Packed(4, f.Geometry);
                w.Bytes(2, fw.WrittenSpan);
            }

            foreach (var key in layer.Keys)
            {
                w.String(3, key);
            }

            foreach (var value in layer.Values)
            {
                var vw = new ProtoWriter();
                switch (value)
                {
                    case string s:
                        vw.String(1, s);
                        break;
                    case double d:
                        vw.Double(3, d);
                        break;
                    case long l:
                        vw.UInt(6, (ulong)((l << 1) ^ (l >> 63)));
                        break;
                    case ulong u:
                        vw.UInt(5, u);
                        break;
                    case bool b:
                        vw.UInt(7, b ? 1UL : 0UL);
                        break;
                    default:
                        throw new ArgumentException($"Layer '{layer.Name}' holds a value that cannot be written: {value}.", nameof(layers));
                }

                w.Bytes(4, vw.WrittenSpan);
            }

            w.UInt(5, layer.Extent);
            tile.Bytes(3, w.WrittenSpan);
        }

        return tile.WrittenSpan.ToArray();
    }
}
