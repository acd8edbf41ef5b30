using System.Security.Claims;
using Butterbase.Portal.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Butterbase.Portal.Apps;

/// <summary>
/// End-user JWTs: the ones this host mints per app (`POST /v1/{appId}/auth/user-token`, HS256 with a
/// per-app key) and the ones an app's own identity provider issues (validated with its JWKS).
/// `exp` is required, skew is 60 s, and only the algorithms listed here are accepted — `alg=none`
/// and algorithm confusion (an RSA public key used as an HMAC secret) cannot pass.
/// </summary>
public sealed class UserTokens(
    IDbContextFactory<PortalDb> dbFactory,
    IDataProtectionProvider dataProtection,
    IHttpClientFactory httpClientFactory,
    IMemoryCache cache,
    TimeProvider clock,
    ILogger<UserTokens> logger)
{
    public const string Issuer = "urn:butterbase";
    private static readonly string[] HostAlgorithms = [SecurityAlgorithms.HmacSha256];
    private static readonly string[] ExternalAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private const string KeyPurpose = "Butterbase.Apps.UserTokenKey.v1";

    public static string ProtectKey(IDataProtectionProvider dp, string appId, byte[] key) =>
        dp.CreateProtector(KeyPurpose, appId).Protect(Convert.ToBase64String(key));

    internal SymmetricSecurityKey SigningKey(App app) =>
        new(Convert.FromBase64String(dataProtection.CreateProtector(KeyPurpose, app.Id).Unprotect(app.UserTokenKey)));

    public string Mint(App app, string userId, TimeSpan lifetime)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = app.Id,
            Subject = new ClaimsIdentity([new Claim("sub", userId)]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(SigningKey(app), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>The app the token is valid for and its subject, or null when it is not valid for any app.</summary>
    public async Task<(string AppId, string UserId)?> ValidateAsync(string token, string? routeAppId, CancellationToken ct)
    {
        JsonWebToken jwt;
        try { jwt = Handler.ReadJsonWebToken(token); }
        catch (ArgumentException) { return null; }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (jwt.Issuer == Issuer)
        {
            var audience = jwt.Audiences.FirstOrDefault();
            if (audience is null) return null;
            var app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == audience, ct);
            if (app is null) return null;
            var result = await Handler.ValidateTokenAsync(token, Parameters(Issuer, app.Id, HostAlgorithms, [SigningKey(app)]));
            return Subject(result, app.Id);
        }

        // An external issuer: prefer the app named in the route, else any app that trusts this issuer
        // (so a valid token of app A presented to app B is told apart from a forged one: 403, not 401).
        var candidates = await db.Apps.AsNoTracking().Where(a => a.JwtIssuer == jwt.Issuer && a.JwtIssuer != null)
            .OrderByDescending(a => a.Id == routeAppId).Take(5).ToListAsync(ct);
        foreach (var app in candidates)
        {
            var keys = await JwksAsync(app.JwtJwksUrl!, ct);
            if (keys.Count == 0) continue;
            var result = await Handler.ValidateTokenAsync(token, Parameters(app.JwtIssuer!, app.JwtAudience!, ExternalAlgorithms, keys));
            if (Subject(result, app.Id) is { } subject) return subject;
        }
        return null;
    }

    private static (string, string)? Subject(TokenValidationResult result, string appId) =>
        result.IsValid && result.Claims.TryGetValue("sub", out var sub) && sub is string s && s.Length is > 0 and <= 256
            ? (appId, s) : null;

    private static TokenValidationParameters Parameters(string issuer, string audience, string[] algorithms, IList<SecurityKey> keys) => new()
    {
        ValidIssuer = issuer,
        ValidAudience = audience,
        ValidAlgorithms = algorithms,
        IssuerSigningKeys = keys,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.FromSeconds(60),
    };

    /// <summary>
    /// The app's JWKS, cached 10 minutes (an empty set 30 s after a failed fetch). One fetch per URL at a time, on its own
    /// time (the `jwks` client's 5 s timeout): a caller that hangs up leaves it running for the others, so nobody can
    /// cancel it mid-way and have the failure cached as "no keys" for every end user of the app (docs/security.md [20]).
    /// </summary>
    private async Task<IList<SecurityKey>> JwksAsync(string url, CancellationToken ct)
    {
        if (cache.TryGetValue<IList<SecurityKey>>("jwks:" + url, out var cached) && cached is not null) return cached;
        return await _jwksFetches.GetOrAdd(url, u => new Lazy<Task<IList<SecurityKey>>>(() => FetchJwksAsync(u))).Value.WaitAsync(ct);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<IList<SecurityKey>>>> _jwksFetches = new(StringComparer.Ordinal);

    private async Task<IList<SecurityKey>> FetchJwksAsync(string url)
    {
        try { return await LoadJwksAsync(url); }
        finally { _jwksFetches.TryRemove(url, out _); } // after the cache is set: later callers read it
    }

    private async Task<IList<SecurityKey>> LoadJwksAsync(string url)
    {
        IList<SecurityKey> keys;
        try
        {
            var json = await httpClientFactory.CreateClient(Outbound.OutboundSetup.JwksClient).GetStringAsync(url, CancellationToken.None);
            keys = new JsonWebKeySet(json).GetSigningKeys();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException or System.Text.Json.JsonException)
        {
            logger.LogWarning("Could not load the JWKS at {JwksUrl}: {Reason}", url, e.Message);
            keys = [];
            cache.Set("jwks:" + url, keys, TimeSpan.FromSeconds(30));
            return keys;
        }
        cache.Set("jwks:" + url, keys, TimeSpan.FromMinutes(10));
        return keys;
    }
}
