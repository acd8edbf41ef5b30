using System.Net;
using System.Net.Sockets;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Butterbase.Portal.Tests.Outbound;

/// <summary>
/// Tenant-chosen addresses (a connection's host field, an app's JWKS URL) never reach the host's own network
/// (docs/security.md [32]). <see cref="_guarded"/> runs as shipped (Butterbase:Outbound:AllowPrivateNetworks off); <see cref="_open"/>
/// allows loopback, standing in for public hosts, to show what a tenant learns from errors when a connect does happen.
/// No test sends traffic anywhere but loopback: other private ranges are refused by address, before any connect.
/// </summary>
public sealed class SsrfTests(SsrfTests.Portals portals) : IClassFixture<SsrfTests.Portals>
{
    private readonly PortalApplication _guarded = portals.Guarded;
    private readonly PortalApplication _open = portals.Open;
    private TestApp _guardedApp => portals.GuardedApp;
    private TestApp _openApp => portals.OpenApp;

    public sealed class Portals : IAsyncLifetime
    {
        public PortalApplication Guarded { get; } = new PortalApplication().With("Butterbase:Outbound:AllowPrivateNetworks", "false");
        public PortalApplication Open { get; } = new();
        public TestApp GuardedApp { get; private set; } = default!;
        public TestApp OpenApp { get; private set; } = default!;

        public async Task InitializeAsync()
        {
            GuardedApp = await Guarded.CreateAppAsync("Guarded", HostedConnectDriver.ReturnUrl);
            OpenApp = await Open.CreateAppAsync("Open", HostedConnectDriver.ReturnUrl);
            foreach (var (portal, app) in new[] { (Guarded, GuardedApp), (Open, OpenApp) })
            {
                using var admin = portal.Http(app.ApiKey);
                await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "jellyfin" })));
            }
        }

        public async Task DisposeAsync()
        {
            await Guarded.DisposeAsync();
            await Open.DisposeAsync();
        }
    }

    private static Dictionary<string, string> Jellyfin(string host) => new() { ["api_key"] = "jf-key-0001", ["field.host"] = host };

    private static async Task<int> ConnectionCountAsync(PortalApplication portal, string user)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.CountAsync(c => c.UserId == user);
    }

    /// <summary>Points a stored connection's host field elsewhere: what a name that resolved publicly when saved does later (DNS rebinding).</summary>
    private static async Task RetargetAsync(PortalApplication portal, string connectionId, string host)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
        var protector = scope.ServiceProvider.GetRequiredService<CredentialProtector>();
        var row = await db.Connections.SingleAsync(c => c.Id == connectionId);
        var credentials = protector.Unprotect(row.AppId, row.Id, row.Credentials);
        row.Credentials = protector.Protect(row.AppId, row.Id, credentials with { Fields = new() { ["host"] = host } });
        row.Version++;
        await db.SaveChangesAsync();
    }

    private static async Task<System.Text.Json.JsonElement> ArtistsAsync(PortalApplication portal, TestApp app, string user)
    {
        using var admin = portal.Http(app.ApiKey);
        return await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute",
            JsonAssert.Body(new { toolName = "JELLYFIN_GET_ARTISTS", userId = user, @params = new { } })));
    }

    [Theory]
    [InlineData("127.0.0.1:5310")]
    [InlineData("localhost")]
    [InlineData("localhost:5310")]
    [InlineData("2130706433")]
    [InlineData("0x7f000001")]
    [InlineData("0177.0.0.1")]
    [InlineData("127.1")]
    [InlineData("169.254.169.254")]
    [InlineData("10.0.0.1")]
    [InlineData("100.64.0.1")]
    [InlineData("[::1]:5310")]
    [InlineData("[::ffff:127.0.0.1]")]
    [InlineData("[fd00::1]")]
    [InlineData("metadata.localhost")]
    public async Task A_host_field_naming_a_private_address_in_any_spelling_is_refused_with_422_and_nothing_is_stored(string host)
    {
        var response = await _guarded.SubmitHostedAsync(_guardedApp, "jellyfin", "mallory", Jellyfin(host));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True(html.Contains("private or local network") || html.Contains("four decimal numbers"), html);
        Assert.Equal(0, await ConnectionCountAsync(_guarded, "mallory"));
    }

    [Theory]
    [InlineData("127.0.0.1:{port}")]
    [InlineData("localhost:{port}")]            // a name that resolves to loopback
    [InlineData("2130706433:{port}")]           // the decimal spelling, canonicalised by the URL parser
    [InlineData("[::ffff:127.0.0.1]:{port}")]   // IPv4-mapped IPv6
    [InlineData("[::1]:{port}")]
    public async Task An_execute_never_opens_a_socket_to_loopback_even_when_the_stored_host_later_points_there(string template)
    {
        var user = "rebinder-" + Guid.NewGuid().ToString("N")[..8];
        var connectionId = await _guarded.ConnectHostedAsync(_guardedApp, "jellyfin", user, Jellyfin("jellyfin.example.com"));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await RetargetAsync(_guarded, connectionId, template.Replace("{port}", port.ToString()));

            var result = await ArtistsAsync(_guarded, _guardedApp, user);
            Assert.False(result.GetProperty("successful").GetBoolean(), result.ToString());
            Assert.Equal("upstream_error", result.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal("Jellyfin could not be reached.", result.GetProperty("error").GetProperty("message").GetString());
            Assert.False(listener.Pending(), "the portal opened a connection to loopback");
        }
        finally { listener.Stop(); }
    }

    [Fact]
    public async Task A_host_the_operator_configured_for_one_toolkit_is_not_reachable_through_another_toolkits_host_field()
    {
        // The operator points GitHub at an internal server (here a loopback listener): trusted for GitHub's own calls.
        // A tenant types that host into a Jellyfin connection: its execute must not reach it.
        using var internalServer = new TcpListener(IPAddress.Loopback, 0);
        internalServer.Start();
        var port = ((IPEndPoint)internalServer.LocalEndpoint).Port;
        await using var portal = new PortalApplication()
            .With("Butterbase:Outbound:AllowPrivateNetworks", "false")
            .With("Butterbase:Toolkits:github:ApiBaseUrl", $"http://127.0.0.1:{port}");
        var app = await portal.CreateAppAsync("Tenant", HostedConnectDriver.ReturnUrl);
        using (var admin = portal.Http(app.ApiKey))
            await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "jellyfin" })));
        var connectionId = await portal.ConnectHostedAsync(app, "jellyfin", "mallory", Jellyfin("jellyfin.example.com"));
        await RetargetAsync(portal, connectionId, $"127.0.0.1:{port}");

        var result = await ArtistsAsync(portal, app, "mallory");
        Assert.Equal("upstream_error: Jellyfin could not be reached.",
            result.GetProperty("error").GetProperty("code").GetString() + ": " + result.GetProperty("error").GetProperty("message").GetString());
        Assert.False(internalServer.Pending(), "a tenant's request reached the operator's internal host");
        internalServer.Stop();
    }

    [Fact]
    public async Task Closed_open_and_refused_addresses_answer_the_same_message()
    {
        // A closed port, an open one that speaks something else, and (on the guarded portal) one refused by policy: a
        // tenant probing a host field learns nothing about which ports listen.
        using var open = new TcpListener(IPAddress.Loopback, 0);
        open.Start();
        var openPort = ((IPEndPoint)open.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            try { while (true) { using var client = await open.AcceptTcpClientAsync(); await client.GetStream().WriteAsync("HTTP/1.1 400 Bad\r\n\r\n"u8.ToArray()); } }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException) { }
        });
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now

        var messages = new List<string>();
        foreach (var (host, user) in new[] { ($"127.0.0.1:{closedPort}", "closed"), ($"127.0.0.1:{openPort}", "open") })
        {
            await _open.ConnectHostedAsync(_openApp, "jellyfin", user, Jellyfin(host));
            var result = await ArtistsAsync(_open, _openApp, user);
            messages.Add(result.GetProperty("error").GetProperty("code").GetString() + ": " + result.GetProperty("error").GetProperty("message").GetString());
        }
        var refused = await _guarded.ConnectHostedAsync(_guardedApp, "jellyfin", "refused", Jellyfin("jellyfin.example.com"));
        await RetargetAsync(_guarded, refused, $"127.0.0.1:{openPort}");
        var policy = await ArtistsAsync(_guarded, _guardedApp, "refused");
        messages.Add(policy.GetProperty("error").GetProperty("code").GetString() + ": " + policy.GetProperty("error").GetProperty("message").GetString());
        open.Stop();
        await serve;

        Assert.All(messages, m => Assert.Equal("upstream_error: Jellyfin could not be reached.", m));
    }

    [Fact]
    public async Task A_jwks_url_on_loopback_is_never_fetched_and_its_tokens_are_refused()
    {
        await using var idp = await JwksServer.StartAsync();
        foreach (var url in new[] { idp.JwksUrl, idp.JwksUrl.Replace("127.0.0.1", "localhost") })
        {
            using var admin = _guarded.Http(_guardedApp.ApiKey);
            var issuer = "https://idp.example.test/" + Guid.NewGuid().ToString("N");
            await JsonAssert.OkAsync(await admin.PatchAsync($"v1/{_guardedApp.Id}/settings",
                JsonAssert.Body(new { jwt = new { issuer, jwks_url = url, audience = "acme" } })));
            var token = Tokens.Create(idp.Key, SecurityAlgorithms.RsaSha256, issuer, "acme", sub: "user_1");
            using var user = _guarded.Http(token);
            await JsonAssert.ErrorAsync(await user.GetAsync($"v1/{_guardedApp.Id}/settings"), HttpStatusCode.Unauthorized, "unauthorized");
        }
        Assert.Equal(0, idp.Requests);
    }

    [Fact]
    public async Task A_jwks_url_that_redirects_is_not_followed()
    {
        // Allowed host (loopback stands in for a public one here), answering 302 to a JWKS that would validate the token.
        await using var idp = await JwksServer.StartAsync();
        idp.RedirectTo = idp.JwksUrl;
        const string issuer = "https://idp.example.test/moved";
        using var admin = _open.Http(_openApp.ApiKey);
        await JsonAssert.OkAsync(await admin.PatchAsync($"v1/{_openApp.Id}/settings",
            JsonAssert.Body(new { jwt = new { issuer, jwks_url = idp.MovedUrl, audience = "acme" } })));
        var token = Tokens.Create(idp.Key, SecurityAlgorithms.RsaSha256, issuer, "acme", sub: "user_1");
        using var user = _open.Http(token);
        await JsonAssert.ErrorAsync(await user.GetAsync($"v1/{_openApp.Id}/settings"), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(0, idp.Requests);
    }
}
