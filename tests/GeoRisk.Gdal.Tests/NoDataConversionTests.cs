namespace GeoRisk.Gdal.Tests;

/// <summary>The Vector256 nodata swap used on every streamed read and write agrees with a plain loop for every length 0..256.</summary>
public sealed class NoDataConversionTests
{
    [Theory]
    [InlineData(-9999f, float.NaN)] // reading: the file's nodata becomes NaN
    [InlineData(float.NaN, -9999f)] // writing: NaN becomes the file's nodata
    [InlineData(0f, 0f)] // nothing to swap: a plain copy
    public void CopyReplacing_MatchesScalarLoop_ForEveryLength(float from, float to)
    {
        var random = new Random(3);
        for (var n = 0; n <= 256; n++)
        {
            var source = Enumerable.Range(0, n).Select(_ => random.Next(4) switch { 0 => -9999f, 1 => float.NaN, 2 => 0f, _ => (float)random.NextDouble() }).ToArray();
            var expected = source.Select(v => (float.IsNaN(from) ? float.IsNaN(v) : v == from) ? to : v).ToArray();
            var copied = new float[n];
            NoDataConversion.CopyReplacing(source, copied, from, to);
            Assert.Equal(expected, copied);
            var inPlace = (float[])source.Clone();
            NoDataConversion.Replace(inPlace, from, to);
            Assert.Equal(expected, inPlace);
        }
    }
}
