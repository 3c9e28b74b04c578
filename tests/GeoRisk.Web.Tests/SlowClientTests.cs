using System.Net.Sockets;
using System.Text;

namespace GeoRisk.Web.Tests;

/// <summary>A client that never finishes its headers is cut off by the real Kestrel server; the service keeps answering.</summary>
public sealed class SlowClientTests(WebFixture web) : IClassFixture<WebFixture>
{
    [Fact]
    public async Task SlowHeaders_Disconnected_ServiceStillAnswers()
    {
        var uri = new Uri(web.BaseUrl);
        using var slow = new TcpClient();
        await slow.ConnectAsync(uri.Host, uri.Port);
        var stream = slow.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {uri.Authority}\r\nX-Slow: "));
        // The fixture sets a 2 s header timeout; the server answers 408 or closes, either way within the wait.
        var buffer = new byte[4096];
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var read = await stream.ReadAsync(buffer, wait.Token);
        var text = Encoding.ASCII.GetString(buffer, 0, read);
        Assert.True(read == 0 || text.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), text);

        using var http = new HttpClient();
        var health = await http.GetAsync(new Uri(uri, "/healthz"));
        Assert.True(health.IsSuccessStatusCode);
    }
}
