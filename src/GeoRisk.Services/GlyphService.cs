using System.Collections.Concurrent;
using GeoRisk.Tiles;
using SkiaSharp;

// SkiaSharp 4 marks in-place SKPath editing obsolete; reading a glyph's outline uses the supported older API.
#pragma warning disable CS0618

namespace GeoRisk.Services;

/// <summary>
/// Serves MapLibre glyph ranges (<c>/fonts/{fontstack}/{start}-{end}.pbf</c>) offline, generated on first request from
/// a font installed on the machine: WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, which build.sh installs; it
/// covers Latin and CJK) or Noto Sans CJK, else DejaVu Sans. Each glyph's outline is rasterised at 24 px with
/// anti-aliasing and turned into a signed distance field (3 px buffer, 8 px radius, edge at 192, the values
/// MapLibre's shader expects) with an exact Euclidean distance transform. Whatever fontstack a style names is
/// answered from this one font. Ranges are kept once generated (at most 256 per fontstack name).
/// </summary>
public sealed class GlyphService
{
    private const double Radius = 8;
    private const double Cutoff = 0.25;
    private readonly ConcurrentDictionary<(string, int), Lazy<byte[]>> _ranges = new();
    private readonly SKTypeface _typeface = ZoningMapRenderer.CjkTypeface();

    /// <summary>The font family the glyphs come from.</summary>
    public string FontFamily => _typeface.FamilyName;

    /// <summary>The glyph range as protobuf; glyphs the font lacks are left out.</summary>
    /// <exception cref="ArgumentException">The range is not start-end of 256 code points within 0–65535.</exception>
    public byte[] GetRange(string fontstack, string range)
    {
        if (!GlyphPbf.TryParseRange(range, out var start, out var end))
        {
            throw new ArgumentException($"Range must be N-(N+255) with N a multiple of 256 up to 65280; got '{range}'.", nameof(range));
        }

        if (_ranges.Count > 4096)
        {
            _ranges.Clear(); // many distinct fontstack names: start again rather than grow without bound
        }

        return _ranges.GetOrAdd((fontstack, start), _ => new Lazy<byte[]>(() => Render(fontstack, start, end))).Value;
    }

    private byte[] Render(string fontstack, int start, int end)
    {
        using var font = new SKFont(_typeface, GlyphPbf.FontSize) { Edging = SKFontEdging.Antialias, Subpixel = false, Hinting = SKFontHinting.None };
        var glyphs = new List<SdfGlyph>();
        for (var code = start; code <= end; code++)
        {
            if (code is >= 0xD800 and <= 0xDFFF)
            {
                continue; // surrogates are not characters
            }

            var id = font.GetGlyph(code);
            if (id == 0 && code != 0)
            {
                continue; // not in the font
            }

            glyphs.Add(Glyph(font, code, id));
        }

        return GlyphPbf.Encode(fontstack, start, end, glyphs);
    }

    private static SdfGlyph Glyph(SKFont font, int code, ushort id)
    {
        var advance = (int)Math.Round(font.MeasureText(char.ConvertFromUtf32(code)));
        using var path = font.GetGlyphPath(id);
        var bounds = path?.Bounds ?? SKRect.Empty;
        if (path is null || bounds.IsEmpty)
        {
            return new SdfGlyph(code, [], 0, 0, 0, 0, advance); // a space: advance only
        }

        var left = (int)Math.Floor(bounds.Left);
        var top = (int)Math.Floor(bounds.Top); // y down: negative above the baseline
        var width = (int)Math.Ceiling(bounds.Right) - left;
        var height = (int)Math.Ceiling(bounds.Bottom) - top;
        var b = GlyphPbf.Buffer;
        var w = width + (2 * b);
        var h = height + (2 * b);
        var alpha = new byte[w * h];
        var info = new SKImageInfo(w, h, SKColorType.Alpha8, SKAlphaType.Premul);
        unsafe
        {
            fixed (byte* pixels = alpha)
            {
                using var surface = SKSurface.Create(info, (IntPtr)pixels, w);
                using var paint = new SKPaint { IsAntialias = true, Color = SKColors.Black };
                surface.Canvas.Translate(b - left, b - top);
                surface.Canvas.DrawPath(path, paint);
                surface.Canvas.Flush();
            }
        }

        // MapLibre's glyph metrics: top is the bitmap's top relative to the baseline, less the 24 px ascent it lays out with.
        return new SdfGlyph(code, Sdf(alpha, w, h), width, height, left, -top - 26, advance);
    }

    /// <summary>
    /// Signed distance field of an anti-aliased coverage bitmap: squared distances to the outside and the inside found
    /// by a separable exact Euclidean distance transform (lower envelope of parabolas, per column then per row), partial
    /// coverage placing the edge within the pixel; 255 − 255·(d/8 + 0.25), so the edge is at 191.
    /// </summary>
    internal static byte[] Sdf(byte[] alpha, int w, int h)
    {
        const double Inf = 1e20;
        var outer = new double[w * h];
        var inner = new double[w * h];
        for (var i = 0; i < alpha.Length; i++)
        {
            var a = alpha[i] / 255.0;
            if (a >= 1)
            {
                (outer[i], inner[i]) = (0, Inf);
            }
            else if (a <= 0)
            {
                (outer[i], inner[i]) = (Inf, 0);
            }
            else
            {
                var d = 0.5 - a;
                (outer[i], inner[i]) = (d > 0 ? d * d : 0, d < 0 ? d * d : 0);
            }
        }

        Transform2D(outer, w, h);
        Transform2D(inner, w, h);
        var sdf = new byte[w * h];
        for (var i = 0; i < sdf.Length; i++)
        {
            var d = Math.Sqrt(outer[i]) - Math.Sqrt(inner[i]);
            sdf[i] = (byte)Math.Clamp(Math.Round(255 - (255 * ((d / Radius) + Cutoff))), 0, 255);
        }

        return sdf;
    }

    private static void Transform2D(double[] grid, int w, int h)
    {
        var n = Math.Max(w, h);
        var f = new double[n];
        var d = new double[n];
        var v = new int[n];
        var z = new double[n + 1];
        for (var x = 0; x < w; x++)
        {
            for (var y = 0; y < h; y++)
            {
                f[y] = grid[(y * w) + x];
            }

            Transform1D(f, d, v, z, h);
            for (var y = 0; y < h; y++)
            {
                grid[(y * w) + x] = d[y];
            }
        }

        for (var y = 0; y < h; y++)
        {
            Array.Copy(grid, y * w, f, 0, w);
            Transform1D(f, d, v, z, w);
            Array.Copy(d, 0, grid, y * w, w);
        }
    }

    /// <summary>Squared distance transform of sampled function f over n samples: d[q] = min_p ((q − p)² + f[p]).</summary>
    private static void Transform1D(double[] f, double[] d, int[] v, double[] z, int n)
    {
        var k = 0;
        v[0] = 0;
        z[0] = double.NegativeInfinity;
        z[1] = double.PositiveInfinity;
        for (var q = 1; q < n; q++)
        {
            double s;
            while (true)
            {
                var p = v[k];
                s = (f[q] + (q * q) - (f[p] + (p * p))) / (2.0 * (q - p));
                if (s <= z[k] && k > 0)
                {
                    k--;
                    continue;
                }

                break;
            }

            if (s <= z[k])
            {
                // k == 0 and the new parabola is lower everywhere to the right of -inf: it replaces the first.
                v[0] = q;
                z[0] = double.NegativeInfinity;
                z[1] = double.PositiveInfinity;
                continue;
            }

            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = double.PositiveInfinity;
        }

        k = 0;
        for (var q = 0; q < n; q++)
        {
            while (z[k + 1] < q)
            {
                k++;
            }

            var p = v[k];
            d[q] = ((q - p) * (q - p)) + f[p];
        }
    }
}
