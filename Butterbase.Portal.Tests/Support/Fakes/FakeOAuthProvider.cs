using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Butterbase.Portal.Tests.Support.Fakes;

/// <summary>
/// A stand-in OAuth 2.0 provider on real HTTP (Kestrel, 127.0.0.1, port 0) that behaves like the provider named by
/// its <see cref="FakeProviderStyle"/>: same paths, wire formats, client authentication, error bodies and quirks
/// (each quirk cites the provider's documentation where it is implemented). The authorize endpoint shows no UI:
/// it redirects at once to redirect_uri with a code for the "logged-in" account (<see cref="NextAccount"/>).
/// Everything received is recorded for assertions; all members are thread-safe.
/// </summary>
/// <remarks>
/// Plug it into the portal with <see cref="SettingsFor"/> (the <c>Butterbase:Toolkits:{slug}:*</c> keys).
/// URLs keep the real providers' templates: GitHub's <see cref="RevocationUrl"/> contains <c>{client_id}</c>,
/// HubSpot's identity and revocation URLs contain <c>{access_token}</c> / <c>{refresh_token}</c>, as in curated.json.
/// </remarks>
public sealed partial class FakeOAuthProvider : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly ConcurrentQueue<AuthorizeRequest> _authorizeRequests = new();
    private readonly ConcurrentQueue<TokenRequest> _tokenRequests = new();
    private readonly ConcurrentQueue<RevocationRequest> _revocations = new();
    private readonly ConcurrentQueue<ResourceRequest> _identityRequests = new();
    private readonly ConcurrentQueue<ResourceRequest> _apiRequests = new();
    private readonly ConcurrentQueue<string> _accountRequests = new();

    /// <summary>`METHOD /accounts/{label}/path` of every request made under an account prefix, in order.</summary>
    public IReadOnlyList<string> AccountRequests => _accountRequests.ToArray();

    private readonly ConcurrentQueue<string> _nextAccounts = new();
    private readonly ConcurrentQueue<(string Error, string? Description)> _denials = new();
    private readonly ConcurrentQueue<TokenFailure> _tokenFailures = new();

    private readonly ConcurrentDictionary<string, FakeAccount> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, AuthCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Grant> _redeemedCodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AccessTokenEntry> _accessTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RefreshTokenEntry> _refreshTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _googleOfflineGranted = new(StringComparer.Ordinal);

    private int _refreshGrants;
    private int _tokenCallsInFlight;
    private int _peakConcurrentTokenCalls;
    private int _reusedRefreshTokens;

    private FakeOAuthProvider(FakeProviderStyle style, FakeOAuthProviderOptions options, WebApplication app)
    {
        Style = style;
        Options = options;
        _app = app;
    }

    public FakeProviderStyle Style { get; }
    public FakeOAuthProviderOptions Options { get; }

    /// <summary>Origin of the server, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    public string AuthorizeUrl => BaseUrl + Layout.Authorize;
    public string TokenUrl => BaseUrl + Layout.Token;
    /// <summary>Null where the provider has no revocation endpoint (Microsoft identity platform).</summary>
    public string? RevocationUrl => Layout.Revocation is null ? null : BaseUrl + Layout.Revocation;
    public string UserInfoUrl => BaseUrl + Layout.UserInfo;
    /// <summary>Base of the provider's API; the protected echo resource is <c>GET {ApiBaseUrl}/echo</c>.</summary>
    public string ApiBaseUrl => BaseUrl + Layout.ApiBase;
    public string EchoUrl => ApiBaseUrl + "/echo";

    public string ClientId => Options.ClientId;
    public string ClientSecret => Options.ClientSecret;

    // ---- recordings ----
    public IReadOnlyList<AuthorizeRequest> AuthorizeRequests => _authorizeRequests.ToArray();
    public IReadOnlyList<TokenRequest> TokenRequests => _tokenRequests.ToArray();
    public IReadOnlyList<RevocationRequest> Revocations => _revocations.ToArray();
    public IReadOnlyList<ResourceRequest> IdentityRequests => _identityRequests.ToArray();
    public IReadOnlyList<ResourceRequest> ApiRequests => _apiRequests.ToArray();
    public IReadOnlyCollection<FakeAccount> Accounts => _accounts.Values.ToArray();

    /// <summary>Number of refresh_token grant requests received (whatever their outcome).</summary>
    public int RefreshGrants => Volatile.Read(ref _refreshGrants);
    /// <summary>Most token requests ever in progress at the same time (with <see cref="FakeOAuthProviderOptions.TokenDelay"/>, proves refreshes are serialised).</summary>
    public int PeakConcurrentTokenRequests => Volatile.Read(ref _peakConcurrentTokenCalls);
    /// <summary>Times a refresh token already rotated away was presented again (RFC 9700 §4.14.2 reuse).</summary>
    public int ReusedRefreshTokenAttempts => Volatile.Read(ref _reusedRefreshTokens);

    /// <summary>Starts a fake provider of the given style. Dispose it (await using) at the end of the test or fixture.</summary>
    public static async Task<FakeOAuthProvider> StartAsync(FakeProviderStyle style, Action<FakeOAuthProviderOptions>? configure = null)
    {
        var options = new FakeOAuthProviderOptions();
        configure?.Invoke(options);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();

        var fake = new FakeOAuthProvider(style, options, app);
        // `/accounts/{label}/…` stands for the account's own host (`{label}.zendesk.com`), which loopback cannot give: the
        // prefix is recorded and stripped, so an operator's URL override can keep the `{subdomain}` placeholder.
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            if (path.StartsWith("/accounts/", StringComparison.Ordinal) && path.IndexOf('/', "/accounts/".Length) is var slash and > 0)
            {
                fake._accountRequests.Enqueue(context.Request.Method + " " + path);
                context.Request.Path = path[slash..];
            }
            await next(context);
        });
        app.UseRouting();
        fake.MapEndpoints(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.BaseUrl = address.TrimEnd('/');
        return fake;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>The portal configuration that points toolkit <paramref name="slug"/> at this fake (null URLs are left out).</summary>
    public IReadOnlyDictionary<string, string?> SettingsFor(string slug)
    {
        var prefix = $"Butterbase:Toolkits:{slug}:";
        var settings = new Dictionary<string, string?>
        {
            [prefix + "AuthorizationUrl"] = AuthorizeUrl,
            [prefix + "TokenUrl"] = TokenUrl,
            [prefix + "UserInfoUrl"] = UserInfoUrl,
            [prefix + "ApiBaseUrl"] = ApiBaseUrl,
            [prefix + "ClientId"] = ClientId,
            [prefix + "ClientSecret"] = ClientSecret,
        };
        if (RevocationUrl is not null) settings[prefix + "RevocationUrl"] = RevocationUrl;
        return settings;
    }

    // ---- scripting ----

    /// <summary>The next authorization is granted by this account (queued; one per authorize request).</summary>
    public FakeOAuthProvider NextAccount(string email)
    {
        _nextAccounts.Enqueue(email);
        return this;
    }

    /// <summary>
    /// The next authorize request is refused: redirect with <c>error</c> and <c>error_description</c> (by default a
    /// script tag, to check it is HTML-encoded wherever shown) and the state, as RFC 6749 §4.1.2.1 describes.
    /// </summary>
    public FakeOAuthProvider DenyNext(string error = "access_denied", string? description = "<script>alert('xss')</script>")
    {
        _denials.Enqueue((error, description));
        return this;
    }

    /// <summary>The next <paramref name="times"/> token calls fail this way instead of doing their work (codes and refresh tokens are not consumed).</summary>
    public FakeOAuthProvider FailNextTokenCallsWith(TokenFailure failure, int times = 1)
    {
        for (var i = 0; i < times; i++) _tokenFailures.Enqueue(failure);
        return this;
    }

    /// <summary>Shorthand: an HTTP status (500, 503, 429 with Retry-After: 1).</summary>
    public FakeOAuthProvider FailNextTokenCallsWith(int statusCode, int times = 1) =>
        FailNextTokenCallsWith(statusCode == 429 ? TokenFailure.TooManyRequests() : TokenFailure.Status(statusCode), times);

    /// <summary>Shorthand: an OAuth error code (invalid_grant, invalid_client, ...) in the style's error format.</summary>
    public FakeOAuthProvider FailNextTokenCallsWith(string oauthError, int times = 1) =>
        FailNextTokenCallsWith(TokenFailure.Error(oauthError), times);

    /// <summary>The account for an email (created on first use, with a style-shaped id).</summary>
    public FakeAccount Account(string email) => _accounts.GetOrAdd(email, CreateAccount);

    /// <summary>
    /// Mints tokens for an account as if it had connected earlier (for refresh and execute tests that seed a connection).
    /// <paramref name="expiresIn"/> null = the style's lifetime; a zero or negative value gives an already expired token.
    /// </summary>
    public FakeTokenSet IssueTokenFor(string account, TimeSpan? expiresIn = null, bool withRefreshToken = true, string? scope = null)
    {
        var grant = new Grant(Account(account), Options.ClientId, scope ?? "", userScope: null);
        var lifetime = expiresIn ?? AccessTokenLifetime;
        var access = IssueAccessToken(grant, TokenKind.Standard, lifetime);
        string? refresh = withRefreshToken ? IssueRefreshToken(grant, TokenKind.Standard).Token : null;
        return new FakeTokenSet(access.Token, refresh, access.ExpiresAt, account);
    }

    /// <summary>Makes an access token expired from now on (the echo API then answers 401). False if unknown.</summary>
    public bool ExpireAccessToken(string token)
    {
        if (!_accessTokens.TryGetValue(token, out var entry)) return false;
        entry.ExpiresAt = Now.AddSeconds(-1);
        return true;
    }

    /// <summary>Simulates the user removing the app at the provider: every token of the grant stops working (refresh → invalid_grant).</summary>
    public bool RevokeAtProvider(string accessOrRefreshToken)
    {
        var grant = FindGrant(accessOrRefreshToken);
        if (grant is null) return false;
        grant.Revoked = true;
        return true;
    }

    public bool IsAccessTokenActive(string token) => FindActiveAccessToken(token) is not null;

    public bool IsRefreshTokenActive(string token) =>
        _refreshTokens.TryGetValue(token, out var entry) && !entry.Rotated && !entry.Revoked && !entry.Grant.Revoked;

    /// <summary>The email of the account an access token belongs to, or null if unknown.</summary>
    public string? AccountOf(string accessToken) => _accessTokens.TryGetValue(accessToken, out var entry) ? entry.Grant.Account.Email : null;

    // ---- state ----

    private DateTimeOffset Now => Options.TimeProvider.GetUtcNow();

    private enum TokenKind { Standard, SlackBot, SlackUser }

    private sealed record AuthCode(
        string Code, string ClientId, string? RedirectUri, string? Challenge, FakeAccount Account,
        string Scope, string? UserScope, bool Offline, bool ConsentPrompted, DateTimeOffset IssuedAt);

    private sealed class Grant(FakeAccount account, string clientId, string scope, string? userScope)
    {
        public FakeAccount Account { get; } = account;
        public string ClientId { get; } = clientId;
        public string Scope { get; } = scope;
        public string? UserScope { get; } = userScope;
        /// <summary>Per-authorization id (Notion's bot_id).</summary>
        public string Id { get; } = Guid.NewGuid().ToString();
        public volatile bool Revoked;
    }

    private sealed class AccessTokenEntry(string token, Grant grant, TokenKind kind, DateTimeOffset? expiresAt)
    {
        public string Token { get; } = token;
        public Grant Grant { get; } = grant;
        public TokenKind Kind { get; } = kind;
        public DateTimeOffset? ExpiresAt { get; set; } = expiresAt;
        public volatile bool Revoked;
    }

    private sealed class RefreshTokenEntry(string token, Grant grant, TokenKind kind)
    {
        public string Token { get; } = token;
        public Grant Grant { get; } = grant;
        public TokenKind Kind { get; } = kind;
        public bool Rotated;
        public volatile bool Revoked;
    }

    private AccessTokenEntry? FindActiveAccessToken(string? token)
    {
        if (token is null || !_accessTokens.TryGetValue(token, out var entry)) return null;
        if (entry.Revoked || entry.Grant.Revoked) return null;
        if (entry.ExpiresAt is { } expiresAt && expiresAt <= Now) return null;
        return entry;
    }

    private Grant? FindGrant(string token) =>
        _accessTokens.TryGetValue(token, out var access) ? access.Grant
        : _refreshTokens.TryGetValue(token, out var refresh) ? refresh.Grant
        : null;

    private AccessTokenEntry IssueAccessToken(Grant grant, TokenKind kind, TimeSpan? lifetime)
    {
        var prefix = kind switch
        {
            TokenKind.SlackBot => "xoxb-",
            TokenKind.SlackUser => "xoxp-",
            _ => Profile.AccessTokenPrefix,
        };
        DateTimeOffset? expiresAt = lifetime is { } l ? Now + l : null;
        var entry = new AccessTokenEntry(prefix + RandomToken(), grant, kind, expiresAt);
        _accessTokens[entry.Token] = entry;
        return entry;
    }

    private RefreshTokenEntry IssueRefreshToken(Grant grant, TokenKind kind)
    {
        var entry = new RefreshTokenEntry(Profile.RefreshTokenPrefix + RandomToken(), grant, kind);
        _refreshTokens[entry.Token] = entry;
        return entry;
    }

    private static string RandomToken(int bytes = 32) => Base64Url(RandomNumberGenerator.GetBytes(bytes));

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private FakeAccount CreateAccount(string email)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(email.ToLowerInvariant()));
        var number = BitConverter.ToUInt64(hash, 0);
        var local = email.Split('@')[0];
        var name = local.Length == 0 ? email : char.ToUpperInvariant(local[0]) + local[1..];
        var id = Style switch
        {
            // Google "sub": a numeric string of about 21 digits.
            FakeProviderStyle.Google => "1" + number.ToString("D20"),
            FakeProviderStyle.Slack => "U" + Convert.ToHexString(hash, 0, 5),
            FakeProviderStyle.Notion or FakeProviderStyle.Microsoft => new Guid(hash.AsSpan(0, 16)).ToString(),
            FakeProviderStyle.GitHub or FakeProviderStyle.HubSpot => (number % 90_000_000 + 10_000_000).ToString(),
            // Discord ids are 17-19 digit snowflakes.
            FakeProviderStyle.Discord => (number % 900_000_000_000_000_000 + 100_000_000_000_000_000).ToString(),
            _ => "user-" + Convert.ToHexString(hash, 0, 6).ToLowerInvariant(),
        };
        return new FakeAccount(email, name, id);
    }

    private static Dictionary<string, string> HeadersOf(HttpRequest request) =>
        request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);

    // ---- authorize ----

    private Task Authorize(HttpContext context)
    {
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var raw = context.Request.QueryString.Value ?? "";
        string? Param(string name) => query.TryGetValue(name, out var v) ? v : null;

        void Record(string? account, string? code, string? error) =>
            _authorizeRequests.Enqueue(new AuthorizeRequest(raw, query, account, code, error, Now));

        // RFC 6749 §4.1.2.1: with an unknown client or a bad redirect URI the server must NOT redirect.
        if (Param("client_id") != Options.ClientId)
        {
            Record(null, null, "invalid_client");
            return Html(context, 400, "Error 401: invalid_client. The OAuth client was not found.");
        }
        var redirectUri = Param("redirect_uri");
        if (redirectUri is null && Options.RegisteredRedirectUris is [var only])
            redirectUri = only; // GitHub and Notion fall back to the single registered callback when redirect_uri is omitted.
        if (redirectUri is null || !Uri.TryCreate(redirectUri, UriKind.Absolute, out _)
            || (Options.RegisteredRedirectUris is { } registered && !registered.Contains(redirectUri, StringComparer.Ordinal)))
        {
            Record(null, null, "redirect_uri_mismatch");
            return Html(context, 400, "Error 400: redirect_uri_mismatch");
        }

        var state = Param("state");
        if (_denials.TryDequeue(out var denial))
        {
            Record(null, null, denial.Error);
            return RedirectWith(context, redirectUri, ("error", denial.Error), ("error_description", denial.Description), ("state", state));
        }
        if (Param("response_type") != "code")
        {
            Record(null, null, "unsupported_response_type");
            return RedirectWith(context, redirectUri, ("error", "unsupported_response_type"), ("state", state));
        }

        // PKCE (RFC 7636 §4.4.1): only S256 is accepted here, because the engine must never fall back to "plain".
        var challenge = Param("code_challenge");
        var method = Param("code_challenge_method");
        string? pkceError = challenge switch
        {
            null when Options.RequirePkce => "code challenge required",
            null => null,
            _ when method != "S256" => "transform algorithm not supported",
            _ when challenge.Length != 43 || !challenge.All(IsBase64UrlChar) => "invalid code_challenge",
            _ => null,
        };
        if (pkceError is not null)
        {
            Record(null, null, "invalid_request");
            return RedirectWith(context, redirectUri, ("error", "invalid_request"), ("error_description", pkceError), ("state", state));
        }

        var account = Account(_nextAccounts.TryDequeue(out var next) ? next : Options.DefaultAccount);
        var scope = Param("scope") ?? "";
        var code = new AuthCode(
            Code: Profile.CodePrefix + RandomToken(24),
            ClientId: Options.ClientId,
            RedirectUri: Param("redirect_uri"),
            Challenge: challenge,
            Account: account,
            Scope: scope,
            UserScope: Param("user_scope"),
            Offline: IsOfflineRequest(query, scope),
            ConsentPrompted: (Param("prompt") ?? "").Split(' ').Contains("consent"),
            IssuedAt: Now);
        _codes[code.Code] = code;
        Record(account.Email, code.Code, null);
        (string, string?)[] extra = Options.ExtraCallbackParameters?.Select(p => (p.Key, (string?)p.Value)).ToArray() ?? [];
        return RedirectWith(context, redirectUri, [("code", code.Code), ("state", state), ("iss", Options.Issuer), .. extra]);
    }

    private bool IsOfflineRequest(Dictionary<string, string> query, string scope) => Style switch
    {
        // Google issues a refresh token only with access_type=offline.
        // https://developers.google.com/identity/protocols/oauth2/web-server#offline
        FakeProviderStyle.Google => query.GetValueOrDefault("access_type") == "offline",
        // Microsoft issues a refresh token only when the offline_access scope was requested.
        // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response-2
        FakeProviderStyle.Microsoft => scope.Split(' ').Contains("offline_access"),
        _ => true,
    };

    private static bool IsBase64UrlChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private static Task RedirectWith(HttpContext context, string redirectUri, params (string Name, string? Value)[] parameters)
    {
        var builder = new StringBuilder(redirectUri);
        var separator = redirectUri.Contains('?') ? '&' : '?';
        foreach (var (name, value) in parameters)
        {
            if (value is null) continue;
            builder.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = builder.ToString();
        context.Response.Headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }

    private static Task Html(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync("<!doctype html><title>Error</title><p>" + WebUtility.HtmlEncode(message) + "</p>");
    }
}
