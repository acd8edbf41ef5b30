using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Butterbase.Portal.Tests.Support;

/// <summary>A webhook receiver on loopback (real Kestrel): records every request and answers what the test says.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public sealed record Received(int Index, string Body, HeaderDictionary Headers)
    {
        public string Id => Headers["webhook-id"].ToString();
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
        public string Type => Json.GetProperty("type").GetString()!;
    }

    /// <summary>Status, optional headers and body for a request (its <see cref="Received.Index"/> counts from 0).</summary>
    public Func<Received, (int Status, IReadOnlyDictionary<string, string>? Headers, string? Body)> Answer { get; set; } = _ => (200, null, null);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private int _count;

    public string Url { get; private set; } = "";
    public IReadOnlyList<Received> Requests => _received.ToArray();

    private WebhookReceiver(WebApplication app) => _app = app;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks";
        return receiver;
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var body = await reader.ReadToEndAsync();
        var headers = new HeaderDictionary();
        foreach (var (k, v) in http.Request.Headers) headers[k] = v;
        var index = Interlocked.Increment(ref _count) - 1;
        var received = new Received(index, body, headers);
        var (status, extra, text) = Answer(received);
        _received.Enqueue(received);
        _arrived.Release();
        http.Response.StatusCode = status;
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) http.Response.Headers[k] = v;
        if (text is not null) await http.Response.WriteAsync(text);
    }

    /// <summary>Waits (for requests, not a fixed time) until <paramref name="done"/> holds for what arrived; fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<Received>> WaitUntilAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var now = Requests;
            if (done(now)) return now;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
                Assert.Fail($"the receiver did not get {what ?? "what was expected"} in time; it got {now.Count}: {string.Join(", ", Requests.Select(r => r.Body.Length > 80 ? r.Body[..80] : r.Body))}");
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
