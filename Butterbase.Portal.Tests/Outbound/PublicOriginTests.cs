using System.Net;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Sandbox;
using Butterbase.Portal.Tests.Sandbox;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Outbound;

/// <summary>
/// The public origin comes from configuration (or, in Development and tests, the server's own listening address), never
/// from a request's Host header (docs/security.md [33]); behind a known TLS proxy the request is https again.
/// </summary>
public sealed class PublicOriginTests
{
    private static HttpRequestMessage WithHost(HttpMethod method, string url, string host, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Host = host;
        return request;
    }

    [Fact]
    public async Task A_forged_host_header_never_receives_the_sandbox_client_secret_a_verifier_or_a_users_tokens()
    {
        await using var evil = await FakeProviderApi.StartAsync();
        var evilHost = new Uri(evil.BaseUrl).Authority;
        await using var portal = new PortalApplication().With("Butterbase:Sandbox:Enabled", "true");
        var app = await portal.CreateAppAsync("Acme", "https://app.example.com/back");
        using var admin = portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "sandbox" })));

        // /connect asked on the attacker's Host: the consent URL is still this portal's.
        var started = await JsonAssert.OkAsync(await admin.SendAsync(WithHost(HttpMethod.Post, $"v1/{app.Id}/integrations/connect", evilHost,
            JsonAssert.Body(new { toolkit = "sandbox", redirectUrl = "https://app.example.com/back", userId = "sam" }))));
        var authUrl = started.GetProperty("authUrl").GetString()!;
        Assert.StartsWith(portal.Address.GetLeftPart(UriPartial.Authority) + "/sandbox/", authUrl);
        Assert.Contains(Uri.EscapeDataString(portal.Address.GetLeftPart(UriPartial.Authority) + "/v1/oauth/callback/sandbox"), authUrl);

        // The callback arrives with the forged Host: the code exchange (client secret, PKCE verifier) goes to the Sandbox.
        using var driver = new SandboxDriver(portal);
        var toCallback = await driver.SubmitAsync(await driver.ConsentPageAsync(authUrl), "allow", "sam@sandbox.test");
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = portal.Address };
        var done = await browser.SendAsync(WithHost(HttpMethod.Get, toCallback.Headers.Location!.PathAndQuery, evilHost));
        var connectionId = QueryHelpers.ParseQuery(done.Headers.Location!.Query)["connectionId"].ToString();
        Assert.StartsWith("cn_", connectionId);

        // Execute (the user's access token), then a refresh (refresh token and client secret), both on the forged Host.
        var execute = () => admin.SendAsync(WithHost(HttpMethod.Post, $"v1/{app.Id}/integrations/execute", evilHost,
            JsonAssert.Body(new { toolName = "SANDBOX_LIST_MESSAGES", userId = "sam", @params = new { } })));
        Assert.True((await JsonAssert.OkAsync(await execute())).GetProperty("successful").GetBoolean());
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
            var protector = scope.ServiceProvider.GetRequiredService<CredentialProtector>();
            var row = await db.Connections.SingleAsync(c => c.Id == connectionId);
            var credentials = protector.Unprotect(app.Id, connectionId, row.Credentials);
            row.Credentials = protector.Protect(app.Id, connectionId, credentials with { ExpiresAt = DateTime.UtcNow.AddMinutes(-1) });
            row.Version++;
            await db.SaveChangesAsync();
            portal.Services.GetRequiredService<ConnectionCache>().Invalidate(app.Id, "sam", "sandbox");
        }
        var refreshesBefore = driver.Stats.RefreshGrants;
        Assert.True((await JsonAssert.OkAsync(await execute())).GetProperty("successful").GetBoolean());
        Assert.Equal(refreshesBefore + 1, driver.Stats.RefreshGrants);

        // DELETE (the revocation carries the refresh token and client secret).
        var deleted = await admin.SendAsync(WithHost(HttpMethod.Delete, $"v1/{app.Id}/integrations/connections/{connectionId}", evilHost));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await portal.Services.GetRequiredService<RevocationWorker>().RunOnceAsync(CancellationToken.None);
        Assert.True(driver.Stats.Revocations >= 1);

        Assert.Empty(evil.Requests);
    }

    [Fact]
    public async Task With_a_public_origin_configured_requests_for_any_other_host_are_refused()
    {
        await using var portal = new PortalApplication().With("Butterbase:PublicBaseUrl", "https://integrations.example.test");
        using var client = portal.Http();
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("healthz")).StatusCode); // Host: 127.0.0.1:port
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(WithHost(HttpMethod.Get, "healthz", "evil.example.test"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WithHost(HttpMethod.Get, "healthz", "integrations.example.test"))).StatusCode);
    }

    [Fact]
    public async Task Behind_a_known_tls_proxy_cookies_stay_secure_and_forwarded_headers_from_others_are_ignored()
    {
        static async Task<string> SignInCookiesAsync(PortalApplication portal)
        {
            // No redirects followed: behind the proxy the portal's own redirects are https, which this test server does not speak.
            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = portal.Address };
            var request = new HttpRequestMessage(HttpMethod.Get, "account/signup");
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "203.0.113.9");
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return string.Join("\n", response.Headers.GetValues("Set-Cookie"));
        }

        await using (var proxied = new PortalApplication().With("Butterbase:ForwardedHeaders:KnownProxies:0", "127.0.0.1"))
            Assert.Contains("secure", await SignInCookiesAsync(proxied), StringComparison.OrdinalIgnoreCase);
        await using (var direct = new PortalApplication())
            Assert.DoesNotContain("secure", await SignInCookiesAsync(direct), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Outside_development_the_portal_will_not_start_without_a_public_origin()
    {
        await using var production = new PortalApplication().With("environment", "Production");
        var failure = Assert.ThrowsAny<Exception>(() => production.Address);
        Assert.Contains("Butterbase:PublicBaseUrl", failure.ToString());
    }
}
