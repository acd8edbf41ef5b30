using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Butterbase.Bench.Infrastructure;

/// <summary>
/// A tiny stand-in OAuth 2.0 provider in the bench process (Kestrel on 127.0.0.1, a free port), for suites that drive
/// the portal's OAuth flow without the internet:
/// <list type="bullet">
/// <item>`GET /authorize` checks client_id and redirect_uri, remembers the PKCE challenge and answers 302 to the
/// redirect_uri with a fresh single-use `code` and the `state` it was given;</item>
/// <item>`POST /token` (form; client_secret_post) checks the client (401 invalid_client), then the code (single use),
/// redirect_uri and PKCE verifier (400 invalid_grant), and answers `{access_token, refresh_token, expires_in: 3600,
/// token_type: "Bearer", scope}`;</item>
/// <item>`POST /token` with `grant_type=refresh_token` rotates: the refresh token works once (a second use is counted
/// in <see cref="ReusedRefreshTokens"/> and answered 400 invalid_grant), and a new access and refresh token come back;</item>
/// <item>`GET /userinfo` (Bearer) answers `{sub, email}`, distinct for every code, so every callback is a new account;</item>
/// <item>`POST /revoke` answers 200.</item>
/// </list>
/// It counts every call, and keeps the timestamps of the last token and identity requests so a suite can split a
/// callback's time into before / during / after the provider calls (same process, same monotonic clock).
/// </summary>
public sealed class FakeOAuthProvider : IAsyncDisposable
{
    private sealed record Grant(int Account, string RedirectUri, string? Challenge);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _accessTokens = new(StringComparer.Ordinal);
    private int _accounts, _authorizations, _tokenCalls, _tokenRejections, _userInfoCalls, _revocations;
    private long _tokenIn, _tokenOut, _userInfoIn, _userInfoOut;

    public string ClientId { get; } = "bench-client";
    public string ClientSecret { get; } = "bench-secret-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
    public Uri BaseAddress { get; private set; } = null!;

    public int Authorizations => Volatile.Read(ref _authorizations);
    public int TokenCalls => Volatile.Read(ref _tokenCalls);
    public int TokenRejections => Volatile.Read(ref _tokenRejections);
    public int UserInfoCalls => Volatile.Read(ref _userInfoCalls);
    public int Revocations => Volatile.Read(ref _revocations);
    public int RefreshGrants => Volatile.Read(ref _refreshGrants);
    public int ReusedRefreshTokens => Volatile.Read(ref _reusedRefreshTokens);
    private int _refreshGrants, _reusedRefreshTokens;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _refreshTokens = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _spentRefreshTokens = new();

    /// <summary>Every access token issued so far stops working (the API answers 401): the next calls must refresh.</summary>
    public void ExpireAllAccessTokens() => _accessTokens.Clear();

    /// <summary>Stopwatch timestamps of the last `/token` and `/userinfo` requests: handler entered, response written.</summary>
    public (long TokenIn, long TokenOut, long UserInfoIn, long UserInfoOut) LastExchange =>
        (Volatile.Read(ref _tokenIn), Volatile.Read(ref _tokenOut), Volatile.Read(ref _userInfoIn), Volatile.Read(ref _userInfoOut));

    private FakeOAuthProvider()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.Map("/authorize", Authorize);
        _app.MapPost("/token", Token);
        _app.Map("/userinfo", UserInfo);
        _app.MapPost("/revoke", Revoke);
    }

    public static async Task<FakeOAuthProvider> StartAsync()
    {
        var provider = new FakeOAuthProvider();
        await provider._app.StartAsync();
        var address = provider._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        provider.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return provider;
    }

    /// <summary>Whether this provider issued <paramref name="accessToken"/> (at `/token`, or by <see cref="IssueAccessToken"/>).</summary>
    public bool IsAccessToken(string accessToken) => _accessTokens.ContainsKey(accessToken);

    /// <summary>
    /// An access token issued without the authorization-code dance, as if to another client of this provider: for a
    /// suite that calls a stand-in provider API itself (e.g. the `execute` suite's direct and relay paths).
    /// </summary>
    public string IssueAccessToken()
    {
        var accessToken = "at-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _accessTokens[accessToken] = Interlocked.Increment(ref _accounts);
        return accessToken;
    }

    /// <summary>The portal settings (as environment variables) that point <paramref name="toolkit"/> at this provider.</summary>
    public IEnumerable<KeyValuePair<string, string>> PortalEnvironment(string toolkit)
    {
        var prefix = $"Butterbase__Toolkits__{toolkit}__";
        yield return new(prefix + "AuthorizationUrl", new Uri(BaseAddress, "authorize").ToString());
        yield return new(prefix + "TokenUrl", new Uri(BaseAddress, "token").ToString());
        yield return new(prefix + "UserInfoUrl", new Uri(BaseAddress, "userinfo").ToString());
        yield return new(prefix + "RevocationUrl", new Uri(BaseAddress, "revoke").ToString());
        yield return new(prefix + "ClientId", ClientId);
        yield return new(prefix + "ClientSecret", ClientSecret);
    }

    private Task Authorize(HttpContext context)
    {
        Interlocked.Increment(ref _authorizations);
        var q = context.Request.Query;
        string? redirectUri = q["redirect_uri"], state = q["state"], challenge = q["code_challenge"];
        if (q["response_type"] != "code" || q["client_id"] != ClientId || string.IsNullOrEmpty(redirectUri) || string.IsNullOrEmpty(state))
            return Plain(context, 400, "bad authorization request");
        if (!string.IsNullOrEmpty(challenge) && q["code_challenge_method"] != "S256")
            return Plain(context, 400, "only S256");
        var account = Interlocked.Increment(ref _accounts);
        var code = $"code{account}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(12))}";
        _codes[code] = new Grant(account, redirectUri, string.IsNullOrEmpty(challenge) ? null : challenge);
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?> { ["code"] = code, ["state"] = state });
        return Task.CompletedTask;
    }

    private async Task Token(HttpContext context)
    {
        Volatile.Write(ref _tokenIn, Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _tokenCalls);
        var form = await context.Request.ReadFormAsync();
        string? code = form["code"], verifier = form["code_verifier"];
        if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
        {
            Interlocked.Increment(ref _tokenRejections);
            await Json(context, 401, """{"error":"invalid_client","error_description":"bench provider: wrong client_id or client_secret"}""");
            Volatile.Write(ref _tokenOut, Stopwatch.GetTimestamp());
            return;
        }
        if (form["grant_type"] == "refresh_token")
        {
            var presented = form["refresh_token"].ToString();
            if (_refreshTokens.TryRemove(presented, out var owner))
            {
                Interlocked.Increment(ref _refreshGrants);
                _spentRefreshTokens[presented] = true;
                var fresh = "at-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
                var rotated = "rt-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
                _accessTokens[fresh] = owner;
                _refreshTokens[rotated] = owner;
                await Json(context, 200, $$"""{"access_token":"{{fresh}}","refresh_token":"{{rotated}}","expires_in":3600,"token_type":"Bearer"}""");
            }
            else
            {
                if (_spentRefreshTokens.ContainsKey(presented)) Interlocked.Increment(ref _reusedRefreshTokens);
                Interlocked.Increment(ref _tokenRejections);
                await Json(context, 400, """{"error":"invalid_grant","error_description":"bench provider: unknown or already used refresh token"}""");
            }
            Volatile.Write(ref _tokenOut, Stopwatch.GetTimestamp());
            return;
        }
        Grant? grant = null;
        var ok = form["grant_type"] == "authorization_code"
            && code is not null && _codes.TryRemove(code, out grant) // single use
            && form["redirect_uri"] == grant.RedirectUri
            && (grant.Challenge is null || (verifier is not null
                && WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) == grant.Challenge));
        if (!ok)
        {
            Interlocked.Increment(ref _tokenRejections);
            await Json(context, 400, """{"error":"invalid_grant","error_description":"bench provider: code, redirect_uri or PKCE verifier did not match"}""");
        }
        else
        {
            var accessToken = "at-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            _accessTokens[accessToken] = grant!.Account;
            var refreshToken = "rt-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            _refreshTokens[refreshToken] = grant.Account;
            await Json(context, 200,
                $$"""{"access_token":"{{accessToken}}","refresh_token":"{{refreshToken}}","expires_in":3600,"token_type":"Bearer","scope":"default"}""");
        }
        Volatile.Write(ref _tokenOut, Stopwatch.GetTimestamp());
    }

    private async Task UserInfo(HttpContext context)
    {
        Volatile.Write(ref _userInfoIn, Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _userInfoCalls);
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || !_accessTokens.TryGetValue(header[7..], out var account))
            await Json(context, 401, """{"error":"invalid_token"}""");
        else
            await Json(context, 200, $$"""{"sub":"bench-account-{{account}}","email":"user{{account}}@bench.example"}""");
        Volatile.Write(ref _userInfoOut, Stopwatch.GetTimestamp());
    }

    private Task Revoke(HttpContext context)
    {
        Interlocked.Increment(ref _revocations);
        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    }

    private static Task Json(HttpContext context, int status, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    private static Task Plain(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(text);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _app.StopAsync(timeout.Token); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }
}
