using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Butterbase.Bench.Infrastructure;

/// <summary>
/// A stand-in for a provider's REST API in the bench process (Kestrel on 127.0.0.1, a free port): `GET /projects`, the
/// path of the catalog tool `ASANA_GET_PROJECTS`, answering a small Asana-like body. It requires
/// `Authorization: Bearer &lt;token&gt;` with a token that <paramref name="isAccessToken"/> accepts (the stand-in OAuth
/// provider's), answers 401 otherwise, and counts the calls it answered per token, so a suite can check that every call it
/// made through a proxy reached the API exactly once.
/// </summary>
public sealed class FakeProviderApi : IAsyncDisposable
{
    /// <summary>What `GET /projects` answers (Asana's envelope: `data`, compact project records).</summary>
    public static readonly byte[] ProjectsBody = """{"data":[{"gid":"1","resource_type":"project","name":"Launch"}]}"""u8.ToArray();

    private static readonly byte[] Unauthorized = """{"errors":[{"message":"Not Authorized"}]}"""u8.ToArray();

    private readonly WebApplication _app;
    private readonly Func<string, bool> _isAccessToken;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _callsByToken = new(StringComparer.Ordinal);
    private long _calls, _rejected;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Calls answered 200.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Calls answered 401 (no bearer token, or one the stand-in provider did not issue).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Calls answered 200 with this bearer token.</summary>
    public long CallsWith(string token) => _callsByToken.TryGetValue(token, out var box) ? Interlocked.Read(ref box.Value) : 0;

    private FakeProviderApi(Func<string, bool> isAccessToken)
    {
        _isAccessToken = isAccessToken;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/projects", Projects);
    }

    public static async Task<FakeProviderApi> StartAsync(Func<string, bool> isAccessToken)
    {
        var api = new FakeProviderApi(isAccessToken);
        await api._app.StartAsync();
        var address = api._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        api.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return api;
    }

    private Task Projects(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : "";
        if (token.Length == 0 || !_isAccessToken(token))
        {
            Interlocked.Increment(ref _rejected);
            return Write(context, 401, Unauthorized);
        }
        Interlocked.Increment(ref _calls);
        Interlocked.Increment(ref _callsByToken.GetOrAdd(token, _ => new StrongBox<long>()).Value);
        return Write(context, 200, ProjectsBody);
    }

    private static Task Write(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _app.StopAsync(timeout.Token); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }
}

/// <summary>
/// The floor cost of any proxy on this host: a bare Kestrel endpoint in the bench process, `GET /relay`, that forwards
/// the call to one fixed URL with one fixed bearer token through a shared <see cref="HttpClient"/> and copies status,
/// content type and body back. No auth of its own, no database, no validation, no logging.
/// </summary>
public sealed class MinimalRelay : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };
    private readonly Uri _target;
    private readonly string _authorization;

    public Uri BaseAddress { get; private set; } = null!;

    private MinimalRelay(Uri target, string token)
    {
        _target = target;
        _authorization = "Bearer " + token;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/relay", Relay);
    }

    public static async Task<MinimalRelay> StartAsync(Uri target, string token)
    {
        var relay = new MinimalRelay(target, token);
        await relay._app.StartAsync();
        var address = relay._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        relay.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return relay;
    }

    private async Task Relay(HttpContext context)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _target);
        request.Headers.TryAddWithoutValidation("Authorization", _authorization);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        if (response.Content.Headers.ContentType is { } type) context.Response.ContentType = type.ToString();
        if (response.Content.Headers.ContentLength is { } length) context.Response.ContentLength = length;
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _app.StopAsync(timeout.Token); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
        _client.Dispose();
    }
}
