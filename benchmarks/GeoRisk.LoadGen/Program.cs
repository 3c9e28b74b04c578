// Constant-arrival-rate load generator (the wrk2 model): requests are scheduled at a fixed rate spread over
// the connections, and each latency is measured from the moment the request was due, not from when it could be
// sent, so a server that stalls is charged for the requests queued behind the stall (no coordinated omission).
// Plain HTTP/1.1 keep-alive over sockets with hand-written requests, so the client spends little of the
// machine's CPU; full distributions in HdrHistogram.
//   georisk-loadgen --url http://127.0.0.1:5077 --paths urls.txt --rate 2000 --duration 20 [--connections 64]
//                   [--header "Accept-Encoding: gzip"] [--order sequential|random] [--hgrm out.hgrm]
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using HdrHistogram;

var options = Options.Parse(args);
var paths = File.ReadAllLines(options.Paths).Where(l => l.Length > 0).ToArray();
if (paths.Length == 0)
{
    Console.Error.WriteLine("error: no paths in " + options.Paths);
    return 2;
}

var uri = new Uri(options.Url);
var requests = paths.Select(p => Encoding.ASCII.GetBytes($"GET {p} HTTP/1.1\r\nHost: {uri.Authority}\r\n{string.Concat(options.Headers.Select(h => h + "\r\n"))}\r\n")).ToArray();
var total = (long)(options.Rate * options.Duration);
var stopwatch = Stopwatch.StartNew();
var start = stopwatch.Elapsed.TotalSeconds + 0.2;
var histograms = new LongHistogram[options.Connections];
var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, long>();
long errors = 0, bytes = 0, done = 0;
var random = new Random(20170809);
var order = Enumerable.Range(0, (int)Math.Min(total, int.MaxValue)).Select(i => options.Random ? random.Next(paths.Length) : i % paths.Length).ToArray();

async Task Connection(int c)
{
    var histogram = histograms[c] = new LongHistogram(TimeSpan.FromSeconds(120).Ticks / 10, 3); // microseconds
    var buffer = new byte[1 << 20];
    Socket? socket = null;
    for (var k = (long)c; k < total; k += options.Connections)
    {
        var due = start + (k / options.Rate);
        var wait = due - stopwatch.Elapsed.TotalSeconds;
        if (wait > 0.002)
        {
            await Task.Delay(TimeSpan.FromSeconds(wait - 0.001));
        }

        while (stopwatch.Elapsed.TotalSeconds < due)
        {
            Thread.SpinWait(20);
        }

        try
        {
            if (socket is null)
            {
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(uri.Host, uri.Port);
            }

            await socket.SendAsync(requests[order[k % order.Length]], SocketFlags.None);
            var (status, length) = await ReadResponse(socket, buffer);
            histogram.RecordValue(Math.Max(1, (long)((stopwatch.Elapsed.TotalSeconds - due) * 1e6)));
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            Interlocked.Add(ref bytes, length);
        }
        catch (Exception ex) when (ex is SocketException or IOException or InvalidDataException or FormatException)
        {
            Interlocked.Increment(ref errors);
            histogram.RecordValue(Math.Max(1, (long)((stopwatch.Elapsed.TotalSeconds - due) * 1e6)));
            socket?.Dispose();
            socket = null;
        }

        Interlocked.Increment(ref done);
    }

    socket?.Dispose();
}

var tasks = Enumerable.Range(0, options.Connections).Select(c => Task.Run(() => Connection(c))).ToArray();
await Task.WhenAll(tasks);
var elapsed = stopwatch.Elapsed.TotalSeconds - start;
var all = new LongHistogram(TimeSpan.FromSeconds(120).Ticks / 10, 3);
foreach (var h in histograms)
{
    all.Add(h);
}

double Ms(double percentile) => all.GetValueAtPercentile(percentile) / 1000.0;
var ok = statuses.Where(s => s.Key < 400).Sum(s => s.Value);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"offered {options.Rate:0} req/s for {options.Duration:0} s over {options.Connections} connections: {done} requests in {elapsed:0.0} s = {done / elapsed:0} req/s, " +
    $"{ok} 2xx/3xx, statuses {string.Join(" ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}:{s.Value}"))}, errors {errors}, {bytes / elapsed / 1e6:0.0} MB/s"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"latency ms: p50 {Ms(50):0.00} p90 {Ms(90):0.00} p99 {Ms(99):0.00} p99.9 {Ms(99.9):0.00} max {all.GetMaxValue() / 1000.0:0.00}"));
if (options.Hgrm is { } hgrm)
{
    using var writer = new StreamWriter(hgrm);
    all.OutputPercentileDistribution(writer, outputValueUnitScalingRatio: 1000.0);
}

return errors > 0 ? 1 : 0;

// Reads one HTTP/1.1 response (Content-Length or chunked body; none for 1xx/204/304); returns the status and body size.
static async Task<(int Status, long Length)> ReadResponse(Socket socket, byte[] buffer)
{
    var filled = 0;
    int headerEnd;
    while ((headerEnd = IndexOf(buffer.AsSpan(0, filled), "\r\n\r\n"u8)) < 0)
    {
        filled += await Receive(socket, buffer, filled);
    }

    var head = Encoding.ASCII.GetString(buffer, 0, headerEnd);
    var status = int.Parse(head.AsSpan(9, 3), CultureInfo.InvariantCulture);
    var body = headerEnd + 4;
    long length = 0;
    var lines = head.Split("\r\n");
    var contentLength = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
    var chunked = lines.Any(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && l.Contains("chunked", StringComparison.OrdinalIgnoreCase));
    if (status is 204 or 304 || (status >= 100 && status < 200))
    {
        length = 0;
    }
    else if (contentLength is not null)
    {
        length = long.Parse(contentLength.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
        var have = filled - body;
        while (have < length)
        {
            have += await Receive(socket, buffer, 0, discard: true);
        }
    }
    else if (chunked)
    {
        // Keep the unread tail at the start of the buffer and parse chunk sizes as they come.
        Buffer.BlockCopy(buffer, body, buffer, 0, filled - body);
        filled -= body;
        var at = 0;
        while (true)
        {
            int lineEnd;
            while ((lineEnd = IndexOf(buffer.AsSpan(at, filled - at), "\r\n"u8)) < 0)
            {
                filled += await Receive(socket, buffer, filled);
            }

            var size = long.Parse(Encoding.ASCII.GetString(buffer, at, lineEnd).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            at += lineEnd + 2;
            // The chunk and its CRLF (or the final CRLF after the last, empty chunk).
            var need = size + 2;
            while (filled - at < need)
            {
                if (filled == buffer.Length)
                {
                    // Drop what has been consumed to make room.
                    Buffer.BlockCopy(buffer, at, buffer, 0, filled - at);
                    filled -= at;
                    at = 0;
                    if (filled == buffer.Length)
                    {
                        need -= filled;
                        filled = at = 0;
                    }
                }

                filled += await Receive(socket, buffer, filled);
            }

            at += (int)need;
            length += size;
            if (size == 0)
            {
                break;
            }
        }
    }
    else
    {
        throw new InvalidDataException("A response without Content-Length or chunked encoding.");
    }

    return (status, length);
}

static async Task<int> Receive(Socket socket, byte[] buffer, int offset, bool discard = false)
{
    var n = await socket.ReceiveAsync(discard ? buffer.AsMemory() : buffer.AsMemory(offset), SocketFlags.None);
    return n == 0 ? throw new IOException("The server closed the connection.") : n;
}

static int IndexOf(ReadOnlySpan<byte> span, ReadOnlySpan<byte> value) => span.IndexOf(value);

internal sealed record Options(string Url, string Paths, double Rate, double Duration, int Connections, List<string> Headers, bool Random, string? Hgrm)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var headers = args.Select((a, i) => (a, i)).Where(p => p.a == "--header" && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToList();
        return new Options(
            Value("--url") ?? "http://127.0.0.1:5077",
            Value("--paths") ?? throw new ArgumentException("--paths FILE is required"),
            double.Parse(Value("--rate") ?? "1000", CultureInfo.InvariantCulture),
            double.Parse(Value("--duration") ?? "20", CultureInfo.InvariantCulture),
            int.Parse(Value("--connections") ?? "64", CultureInfo.InvariantCulture),
            headers,
            (Value("--order") ?? "random") == "random",
            Value("--hgrm"));
    }
}
