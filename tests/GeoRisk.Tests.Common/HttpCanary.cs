using System.Net;
using System.Net.Sockets;

namespace GeoRisk.Tests.Common;

/// <summary>
/// A listener on 127.0.0.1 that counts every connection made to it (an HTTP request needs one). Hostile
/// files point their links at <see cref="Url"/>; a parser that reaches out shows up in <see cref="Connections"/>.
/// </summary>
public sealed class HttpCanary : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _requests = [];
    private readonly Task _loop;
    private int _connections;

    public HttpCanary()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The first line of each request received (for the failure message).</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        using var reader = new StreamReader(client.GetStream());
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                        var line = await reader.ReadLineAsync(timeout.Token) ?? "";
                        lock (_requests)
                        {
                            _requests.Add(line);
                        }

                        var body = "not found"u8.ToArray();
                        await client.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 404 Not Found\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
                        await client.GetStream().WriteAsync(body);
                    }
                    catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
                    {
                        // The count is what matters; a client that hangs up early still counted.
                    }
                }
            });
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }
}
