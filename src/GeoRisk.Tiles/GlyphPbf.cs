namespace GeoRisk.Tiles;

/// <summary>
/// One glyph of a MapLibre glyph range: its signed-distance-field bitmap ((width + 2·buffer) × (height + 2·buffer)
/// bytes, 3-pixel buffer at 24 px) and metrics in pixels at 24 px.
/// </summary>
public sealed record SdfGlyph(int Id, byte[] Bitmap, int Width, int Height, int Left, int Top, int Advance);

/// <summary>
/// The glyph range protobuf MapLibre and Mapbox GL request as <c>{fontstack}/{start}-{end}.pbf</c>
/// (glyphs.proto: glyphs { stacks: fontstack { name, range, glyphs: glyph { id, bitmap, width, height, left, top, advance } } }).
/// </summary>
public static class GlyphPbf
{
    /// <summary>Size in pixels the SDF glyphs are drawn at, and the empty border around each bitmap.</summary>
    public const int FontSize = 24;

    public const int Buffer = 3;

    /// <summary>Parses "start-end" (a range of 256 code points starting at a multiple of 256, within 0–65535).</summary>
    public static bool TryParseRange(string range, out int start, out int end)
    {
        start = end = 0;
        var dash = range.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && int.TryParse(range.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out start)
            && int.TryParse(range.AsSpan(dash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out end)
            && start % 256 == 0 && end == start + 255 && end <= 65535;
    }

    public static byte[] Encode(string fontstack, int start, int end, IEnumerable<SdfGlyph> glyphs)
    {
        var stack = new ProtoWriter();
        stack.String(1, fontstack);
        stack.String(2, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{start}-{end}"));
        foreach (var g in glyphs)
        {
            var glyph = new ProtoWriter();
            glyph.UInt(1, (ulong)g.Id);
            if (g.Bitmap.Length > 0)
            {
                glyph.Bytes(2, g.Bitmap);
            }

            glyph.UInt(3, (ulong)g.Width);
            glyph.UInt(4, (ulong)g.Height);
            glyph.UInt(5, ProtoWriter.ZigZag(g.Left));
            glyph.UInt(6, ProtoWriter.ZigZag(g.Top));
            glyph.UInt(7, (ulong)g.Advance);
            stack.Bytes(3, glyph.WrittenSpan);
        }

        var root = new ProtoWriter();
        root.Bytes(1, stack.WrittenSpan);
        return root.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a glyph range: the fontstack name, range and glyphs.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a glyph protobuf.</exception>
    public static (string Name, string Range, IReadOnlyList<SdfGlyph> Glyphs) Decode(ReadOnlySpan<byte> pbf)
    {
        var root = new ProtoReader(pbf);
        string name = "", range = "";
        var glyphs = new List<SdfGlyph>();
        while (!root.End)
        {
            var (field, wire) = root.Tag();
            if (field != 1 || wire != 2)
            {
                root.Skip(wire);
                continue;
            }

            var stack = new ProtoReader(root.Bytes());
            while (!stack.End)
            {
                var (f, w) = stack.Tag();
                switch (f)
                {
                    case 1 when w == 2:
                        name = System.Text.Encoding.UTF8.GetString(stack.Bytes());
                        break;
                    case 2 when w == 2:
                        range = System.Text.Encoding.UTF8.GetString(stack.Bytes());
                        break;
                    case 3 when w == 2:
                        glyphs.Add(DecodeGlyph(stack.Bytes()));
                        break;
                    default:
                        stack.Skip(w);
                        break;
                }
            }
        }

        return (name, range, glyphs);
    }

    private static SdfGlyph DecodeGlyph(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        int id = 0, width = 0, height = 0, left = 0, top = 0, advance = 0;
        byte[] bitmap = [];
        while (!r.End)
        {
            var (f, w) = r.Tag();
            switch (f)
            {
                case 1: id = (int)r.Varint(); break;
                case 2: bitmap = r.Bytes().ToArray(); break;
                case 3: width = (int)r.Varint(); break;
                case 4: height = (int)r.Varint(); break;
                case 5: left = (int)ProtoWriter.UnZigZag(r.Varint()); break;
                case 6: top = (int)ProtoWriter.UnZigZag(r.Varint()); break;
                case 7: advance = (int)r.Varint(); break;
                default: r.Skip(w); break;
            }
        }

        return new SdfGlyph(id, bitmap, width, height, left, top, advance);
    }
}
