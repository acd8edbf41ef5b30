using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Butterbase.Portal.Tests.Support.Fakes;

/// <summary>A provider's REST API on loopback: routes answer like the provider's and every request is recorded.</summary>
public sealed class FakeProviderApi : IAsyncDisposable
{
    public sealed record Received(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public JsonNode? Json => Body.Length > 0 ? JsonNode.Parse(Body) : null;

        /// <summary>The body exactly as sent (multipart uploads, binary content).</summary>
        public byte[] BodyBytes { get; init; } = [];

        /// <summary>The query string's parameters, decoded (a repeated name keeps every value).</summary>
        public IReadOnlyDictionary<string, string[]> QueryValues =>
            QueryHelpers.ParseQuery(Query).ToDictionary(p => p.Key, p => p.Value.Select(v => v ?? "").ToArray());
    }

    /// <summary>A handler's body written as is, not as JSON (a file download: bytes and their content type).</summary>
    public sealed record RawBody(byte[] Content, string ContentType);

    public delegate (int Status, object? Body, IReadOnlyDictionary<string, string>? Headers) Handler(Received request);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Handler> _routes = new();
    public ConcurrentQueue<Received> Requests { get; } = new();
    public string BaseUrl { get; private set; } = "";
    /// <summary>When set, a bearer token it rejects gets 401 (e.g. the fake OAuth provider's "is this token active").</summary>
    public Func<string, bool>? AcceptsToken { get; set; }
    /// <summary>
    /// When set, a request with <c>Authorization: Bot {token}</c> (Discord's bot authentication) is checked by this
    /// instead of <see cref="AcceptsToken"/>; a token it rejects gets Discord's 401 body.
    /// </summary>
    public Func<string, bool>? AcceptsBotToken { get; set; }

    /// <summary>Paths answered without any credential check: a provider's pre-signed upload address (Slack's upload_url).</summary>
    public ConcurrentDictionary<string, bool> OpenPaths { get; } = new();

    private FakeProviderApi(WebApplication app) => _app = app;

    public static async Task<FakeProviderApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var api = new FakeProviderApi(app);
        app.Run(api.HandleAsync);
        await app.StartAsync();
        api.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return api;
    }

    /// <summary>Answers <paramref name="method"/> <paramref name="path"/> (exact path) with the handler.</summary>
    public FakeProviderApi On(string method, string path, Handler handler) { _routes[method + " " + path] = handler; return this; }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = Encoding.UTF8.GetString(buffer.ToArray());
        var received = new Received(context.Request.Method, context.Request.Path, context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body)
        { BodyBytes = buffer.ToArray() };
        Requests.Enqueue(received);
        var bot = AcceptsBotToken is not null && received.Headers.GetValueOrDefault("Authorization") is { } botAuth && botAuth.StartsWith("Bot ") ? botAuth[4..] : null;
        if (bot is not null && !AcceptsBotToken!(bot))
        {
            // https://discord.com/developers/docs/topics/opcodes-and-status-codes#http
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new { message = "401: Unauthorized", code = 0 });
            return;
        }
        var bearer = received.Headers.GetValueOrDefault("Authorization") is { } auth && auth.StartsWith("Bearer ") ? auth[7..] : null;
        if (AcceptsToken is not null && bot is null && !OpenPaths.ContainsKey(received.Path) && (bearer is null || !AcceptsToken(bearer)))
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new { error = new { code = 401, message = "Request had invalid authentication credentials." } });
            return;
        }
        if (!_routes.TryGetValue(context.Request.Method + " " + context.Request.Path, out var handler))
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsJsonAsync(new { error = "not_found" });
            return;
        }
        var (status, response, headers) = handler(received);
        context.Response.StatusCode = status;
        foreach (var (key, value) in headers ?? new Dictionary<string, string>()) context.Response.Headers[key] = value;
        if (response is RawBody raw)
        {
            context.Response.ContentType = raw.ContentType;
            await context.Response.Body.WriteAsync(raw.Content);
        }
        else if (response is not null) await context.Response.WriteAsJsonAsync(response);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
