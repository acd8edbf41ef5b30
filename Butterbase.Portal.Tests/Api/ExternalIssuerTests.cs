using System.Net;
using System.Text;
using Butterbase.Portal.Tests.Support;
using Microsoft.IdentityModel.Tokens;

namespace Butterbase.Portal.Tests.Api;

/// <summary>End-user JWTs from an app's own identity provider, validated against its JWKS over HTTP (docs/security.md [20]).</summary>
public sealed class ExternalIssuerTests : IAsyncLifetime
{
    private const string Issuer = "https://idp.example.test/";
    private const string Audience = "acme-api";
    private readonly PortalApplication _portal = new();
    private JwksServer _idp = default!;
    private TestApp _app = default!;
    private TestApp _other = default!;

    public async Task InitializeAsync()
    {
        _idp = await JwksServer.StartAsync();
        _app = await _portal.CreateAppAsync("Acme");
        _other = await _portal.CreateAppAsync("Other");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PatchAsync($"v1/{_app.Id}/settings",
            JsonAssert.Body(new { jwt = new { issuer = Issuer, jwks_url = _idp.JwksUrl, audience = Audience } })));
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _idp.DisposeAsync();
    }

    private async Task<HttpResponseMessage> CallAsync(string appId, string token)
    {
        using var client = _portal.Http(token);
        return await client.GetAsync($"v1/{appId}/settings");
    }

    [Fact]
    public async Task A_token_from_the_configured_issuer_authenticates_its_user()
    {
        var token = Tokens.Create(_idp.Key, SecurityAlgorithms.RsaSha256, Issuer, Audience, sub: "user_42");
        // Authenticated as an end user: refused only because settings need the API key.
        var body = await JsonAssert.ErrorAsync(await CallAsync(_app.Id, token), HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("API key", body.GetProperty("message").GetString());
        // The JWKS is cached, not fetched per request.
        await CallAsync(_app.Id, token);
        Assert.Equal(1, _idp.Requests);
    }

    [Fact]
    public async Task Tokens_that_fail_any_check_are_401()
    {
        var now = DateTime.UtcNow;
        var rs256 = SecurityAlgorithms.RsaSha256;
        var wrongAudience = Tokens.Create(_idp.Key, rs256, Issuer, "someone-else");
        var wrongIssuer = Tokens.Create(_idp.Key, rs256, "https://evil.example.test/", Audience);
        var expired = Tokens.Create(_idp.Key, rs256, Issuer, Audience, expires: now.AddMinutes(-3), notBefore: now.AddMinutes(-60));
        var noExpiry = Tokens.Create(_idp.Key, rs256, Issuer, Audience, withExpiry: false);
        var notYetValid = Tokens.Create(_idp.Key, rs256, Issuer, Audience, notBefore: now.AddMinutes(10), expires: now.AddHours(1));
        var otherKey = Tokens.Create(new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)) { KeyId = "test-key-1" }, rs256, Issuer, Audience);
        var algNone = Tokens.Unsigned(Issuer, Audience);
        // Algorithm confusion: HS256 "signed" with the issuer's public key as the HMAC secret.
        var publicKeyBytes = Encoding.UTF8.GetBytes(_idp.Key.Rsa.ExportSubjectPublicKeyInfoPem());
        var confused = Tokens.Create(new SymmetricSecurityKey(publicKeyBytes) { KeyId = "test-key-1" }, SecurityAlgorithms.HmacSha256, Issuer, Audience);

        foreach (var token in new[] { wrongAudience, wrongIssuer, expired, noExpiry, notYetValid, otherKey, algNone, confused })
            await JsonAssert.ErrorAsync(await CallAsync(_app.Id, token), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_valid_token_of_one_app_is_403_on_another()
    {
        var token = Tokens.Create(_idp.Key, SecurityAlgorithms.RsaSha256, Issuer, Audience);
        await JsonAssert.ErrorAsync(await CallAsync(_other.Id, token), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Removing_the_issuer_stops_its_tokens()
    {
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PatchAsync($"v1/{_app.Id}/settings", JsonAssert.Raw("{\"jwt\":null}")));
        var token = Tokens.Create(_idp.Key, SecurityAlgorithms.RsaSha256, Issuer, Audience);
        await JsonAssert.ErrorAsync(await CallAsync(_app.Id, token), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_caller_who_hangs_up_during_the_jwks_fetch_does_not_lock_the_apps_end_users_out()
    {
        // Anyone can send a made-up token naming the app's issuer (no credential needed) and drop the connection while the
        // identity provider is slow to answer. Before, the cancelled fetch was cached as "no keys" for 30 s: every end
        // user of the app got 401, again and again.
        _idp.Delay = TimeSpan.FromSeconds(1);
        var forged = Tokens.Create(new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)) { KeyId = "test-key-1" },
            SecurityAlgorithms.RsaSha256, Issuer, Audience, sub: "mallory");
        using (var impatient = _portal.Http(forged))
        using (var hangUp = new CancellationTokenSource())
        {
            var call = impatient.GetAsync($"v1/{_app.Id}/settings", hangUp.Token);
            await _idp.Arrived.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the portal is fetching the JWKS for it …
            hangUp.Cancel();                                              // … when the caller hangs up
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        }
        _idp.Delay = TimeSpan.Zero;

        // A real end user a moment later is authenticated (403 only because settings need the API key) …
        var token = Tokens.Create(_idp.Key, SecurityAlgorithms.RsaSha256, Issuer, Audience, sub: "user_42");
        var body = await JsonAssert.ErrorAsync(await CallAsync(_app.Id, token), HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("API key", body.GetProperty("message").GetString());
        // … from the one fetch the hung-up caller started, which ran to its end.
        Assert.Equal(1, _idp.Requests);
    }
}
