using System.Net;
using Butterbase.Portal.Sandbox;
using Butterbase.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Sandbox;

/// <summary>One portal with the Sandbox on, shared by the tests of a class (each test uses its own sandbox account).</summary>
public sealed class SandboxPortal : IAsyncLifetime
{
    public PortalApplication Portal { get; } = new PortalApplication().With("Butterbase:Sandbox:Enabled", "true");
    public Task InitializeAsync() { _ = Portal.Address; return Task.CompletedTask; }
    public async Task DisposeAsync() => await Portal.DisposeAsync();
}

/// <summary>The Sandbox as an OAuth 2.0 provider: code + PKCE, consent, rotation, revocation, redirect URI policy.</summary>
public sealed class SandboxProviderTests(SandboxPortal fixture) : IClassFixture<SandboxPortal>, IDisposable
{
    private readonly SandboxDriver _sandbox = new(fixture.Portal);
    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Whole_flow_connects_calls_the_api_refreshes_with_rotation_and_revokes()
    {
        var (verifier, challenge) = SandboxDriver.Pkce();
        var form = await _sandbox.ConsentPageAsync(_sandbox.AuthorizeUrl(challenge, state: "state-1"));
        Assert.Contains("<title>Sandbox — authorize Butterbase</title>", form.Html);
        Assert.Contains("messages.write", form.Html);
        Assert.Contains("id=\"sandbox-allow\"", form.Html);
        Assert.Contains("id=\"sandbox-deny\"", form.Html);
        Assert.Equal("alice@sandbox.test", form.Email);

        var callback = _sandbox.Callback(await _sandbox.SubmitAsync(form, "allow", "flow@sandbox.test"));
        Assert.Equal("state-1", callback["state"]);
        Assert.Equal(_sandbox.Origin + "/", callback["iss"]); // RFC 9207 mix-up defence
        var tokens = await SandboxDriver.Tokens.ReadAsync(await _sandbox.ExchangeAsync(callback["code"], verifier));
        Assert.NotNull(tokens.RefreshToken);
        Assert.InRange(tokens.ExpiresIn, 3598, 3600); // OpenIddict counts from whole seconds
        Assert.Equal(["messages.read", "messages.write", "offline_access"], tokens.Scope.Split(' ').Order());

        var me = await JsonAssert.OkAsync(await _sandbox.ApiAsync(HttpMethod.Get, "/me", tokens.AccessToken));
        Assert.Equal("flow@sandbox.test", me.GetProperty("sub").GetString());
        Assert.Equal("flow@sandbox.test", me.GetProperty("email").GetString());
        Assert.Equal("Flow", me.GetProperty("name").GetString());

        var sent = await _sandbox.ApiAsync(HttpMethod.Post, "/messages", tokens.AccessToken, new { to = "bob", text = "hello <b>" });
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var message = await JsonAssert.OkAsync(sent);
        Assert.StartsWith("msg_", message.GetProperty("id").GetString());
        Assert.Equal("bob", message.GetProperty("to").GetString());
        Assert.Equal("hello <b>", message.GetProperty("text").GetString());
        Assert.True(message.GetProperty("created_at").GetDateTime() > DateTime.UtcNow.AddMinutes(-1));

        var list = await JsonAssert.OkAsync(await _sandbox.ApiAsync(HttpMethod.Get, "/messages?limit=5", tokens.AccessToken));
        Assert.Equal(message.GetProperty("id").GetString(), Assert.Single(list.GetProperty("messages").EnumerateArray()).GetProperty("id").GetString());

        // Refresh rotates: a new refresh token, and the old one is dead at once (no reuse leeway).
        var refreshed = await SandboxDriver.Tokens.ReadAsync(await _sandbox.RefreshAsync(tokens.RefreshToken!));
        Assert.NotEqual(tokens.RefreshToken, refreshed.RefreshToken);
        Assert.NotEqual(tokens.AccessToken, refreshed.AccessToken);
        await JsonAssert.OkAsync(await _sandbox.ApiAsync(HttpMethod.Get, "/me", refreshed.AccessToken));

        // Revoking the refresh token revokes the whole grant, access tokens included.
        Assert.Equal(HttpStatusCode.OK, (await _sandbox.RevokeAsync(refreshed.RefreshToken!)).StatusCode);
        var after = await _sandbox.ApiAsync(HttpMethod.Get, "/me", refreshed.AccessToken);
        await JsonAssert.ErrorAsync(after, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Contains("error=\"invalid_token\"", after.Headers.WwwAuthenticate.ToString());
        await SandboxDriver.OAuthErrorAsync(await _sandbox.RefreshAsync(refreshed.RefreshToken!), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task A_rotated_refresh_token_is_refused_and_counted()
    {
        var tokens = await _sandbox.ConnectAsync("rotate@sandbox.test");
        var before = (_sandbox.Stats.RefreshGrants, _sandbox.Stats.RefusedRefreshGrants);

        await SandboxDriver.Tokens.ReadAsync(await _sandbox.RefreshAsync(tokens.RefreshToken!));
        await SandboxDriver.OAuthErrorAsync(await _sandbox.RefreshAsync(tokens.RefreshToken!), HttpStatusCode.BadRequest, "invalid_grant");

        Assert.Equal(before.RefreshGrants + 2, _sandbox.Stats.RefreshGrants);
        Assert.Equal(before.RefusedRefreshGrants + 1, _sandbox.Stats.RefusedRefreshGrants);
    }

    [Fact]
    public async Task Revoking_the_access_token_also_ends_the_refresh_token()
    {
        var tokens = await _sandbox.ConnectAsync("revoke-access@sandbox.test");
        Assert.Equal(HttpStatusCode.OK, (await _sandbox.RevokeAsync(tokens.AccessToken)).StatusCode);
        await JsonAssert.ErrorAsync(await _sandbox.ApiAsync(HttpMethod.Get, "/me", tokens.AccessToken), HttpStatusCode.Unauthorized, "invalid_token");
        await SandboxDriver.OAuthErrorAsync(await _sandbox.RefreshAsync(tokens.RefreshToken!), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Fact]
    public async Task A_token_works_whichever_loopback_name_the_api_is_called_on()
    {
        var tokens = await _sandbox.ConnectAsync("origin@sandbox.test");
        using var http = new HttpClient { BaseAddress = new Uri($"http://localhost:{fixture.Portal.Address.Port}/") };
        http.DefaultRequestHeaders.Authorization = new("Bearer", tokens.AccessToken);
        await JsonAssert.OkAsync(await http.GetAsync("/sandbox/api/me"));
    }

    [Fact]
    public async Task Authorization_without_pkce_issues_no_code()
    {
        var response = await _sandbox.GetAsync(_sandbox.AuthorizeUrl(challenge: null));
        AssertNoCode(response);
    }

    [Fact]
    public async Task Plain_pkce_is_refused()
    {
        var (verifier, _) = SandboxDriver.Pkce();
        AssertNoCode(await _sandbox.GetAsync(_sandbox.AuthorizeUrl(verifier, method: "plain")));
        AssertNoCode(await _sandbox.GetAsync(_sandbox.AuthorizeUrl(verifier, method: null))); // no method means plain
    }

    [Fact]
    public async Task Code_exchange_with_a_wrong_or_missing_verifier_is_refused()
    {
        var (callback, _) = await _sandbox.AuthorizeAsync("verifier@sandbox.test");
        var (otherVerifier, _) = SandboxDriver.Pkce();
        await SandboxDriver.OAuthErrorAsync(await _sandbox.ExchangeAsync(callback["code"], otherVerifier), HttpStatusCode.BadRequest, "invalid_grant");

        (callback, _) = await _sandbox.AuthorizeAsync("verifier@sandbox.test");
        var missing = await _sandbox.TokenAsync(("grant_type", "authorization_code"), ("code", callback["code"]), ("redirect_uri", _sandbox.RedirectUri));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task A_code_works_once()
    {
        var (callback, verifier) = await _sandbox.AuthorizeAsync("once@sandbox.test");
        await SandboxDriver.Tokens.ReadAsync(await _sandbox.ExchangeAsync(callback["code"], verifier));
        await SandboxDriver.OAuthErrorAsync(await _sandbox.ExchangeAsync(callback["code"], verifier), HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Theory]
    [InlineData("https://evil.example/v1/oauth/callback/sandbox")]
    [InlineData("{origin}/v1/oauth/callback/github")]
    [InlineData("{origin}/v1/oauth/callback/sandbox?next=https://evil.example")]
    [InlineData("{origin}/v1/oauth/callback/sandbox/")]
    [InlineData("http://localhost:1/v1/oauth/callback/sandbox")]
    public async Task A_redirect_uri_other_than_this_hosts_callback_is_refused_without_redirecting(string redirectUri)
    {
        var (_, challenge) = SandboxDriver.Pkce();
        var response = await _sandbox.GetAsync(_sandbox.AuthorizeUrl(challenge, redirectUri: redirectUri.Replace("{origin}", _sandbox.Origin)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task The_token_endpoint_refuses_a_redirect_uri_other_than_the_codes()
    {
        var (callback, verifier) = await _sandbox.AuthorizeAsync("mixup@sandbox.test");
        var response = await _sandbox.TokenAsync(("grant_type", "authorization_code"), ("code", callback["code"]), ("code_verifier", verifier),
            ("redirect_uri", "https://evil.example/v1/oauth/callback/sandbox"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Deny_sends_access_denied_with_the_state_to_the_callback()
    {
        var (_, challenge) = SandboxDriver.Pkce();
        var form = await _sandbox.ConsentPageAsync(_sandbox.AuthorizeUrl(challenge, state: "deny-state"));
        var callback = _sandbox.Callback(await _sandbox.SubmitAsync(form, "deny"));
        Assert.Equal("access_denied", callback["error"]);
        Assert.Equal("deny-state", callback["state"]);
        Assert.False(callback.ContainsKey("code"));
    }

    [Fact]
    public async Task Consent_without_the_antiforgery_token_issues_no_code()
    {
        var (_, challenge) = SandboxDriver.Pkce();
        var form = await _sandbox.ConsentPageAsync(_sandbox.AuthorizeUrl(challenge));
        var response = await _sandbox.SubmitAsync(form, "allow", withAntiforgery: false);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task An_invalid_email_shows_the_form_again_and_issues_no_code()
    {
        var (_, challenge) = SandboxDriver.Pkce();
        var form = await _sandbox.ConsentPageAsync(_sandbox.AuthorizeUrl(challenge));
        var response = await _sandbox.SubmitAsync(form, "allow", "not an email<script>");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("id=\"sandbox-error\"", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("not an email&lt;script&gt;", html);
    }

    [Fact]
    public async Task The_consent_page_encodes_what_it_echoes()
    {
        var (_, challenge) = SandboxDriver.Pkce();
        var form = await _sandbox.ConsentPageAsync(_sandbox.AuthorizeUrl(challenge, state: "\"><script>alert(1)</script>"));
        Assert.DoesNotContain("<script>", form.Html);
        Assert.Contains(form.Fields, f => f.Key == "state" && f.Value == "\"><script>alert(1)</script>");
    }

    [Fact]
    public async Task Unknown_scopes_and_clients_are_refused()
    {
        var (_, challenge) = SandboxDriver.Pkce();
        AssertNoCode(await _sandbox.GetAsync(_sandbox.AuthorizeUrl(challenge, scope: "messages.read admin")));
        var unknownClient = await _sandbox.GetAsync(_sandbox.AuthorizeUrl(challenge, clientId: "someone-else"));
        Assert.Equal(HttpStatusCode.BadRequest, unknownClient.StatusCode);
        Assert.Null(unknownClient.Headers.Location);
    }

    [Fact]
    public async Task The_token_endpoint_wants_the_client_secret_in_the_body()
    {
        var (callback, verifier) = await _sandbox.AuthorizeAsync("secret@sandbox.test");
        var wrong = await _sandbox.Post("/sandbox/connect/token", [
            new("client_id", _sandbox.Client.ClientId), new("client_secret", "wrong"), new("grant_type", "authorization_code"),
            new("code", callback["code"]), new("redirect_uri", _sandbox.RedirectUri), new("code_verifier", verifier)]);
        await SandboxDriver.OAuthErrorAsync(wrong, HttpStatusCode.Unauthorized, "invalid_client");

        using var http = fixture.Portal.Http();
        using var basic = new HttpRequestMessage(HttpMethod.Post, "/sandbox/connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "authorization_code"), new("code", callback["code"]),
                new("redirect_uri", _sandbox.RedirectUri), new("code_verifier", verifier)]),
        };
        basic.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{_sandbox.Client.ClientId}:{_sandbox.Client.ClientSecret}")));
        var refused = await http.SendAsync(basic);
        Assert.False(refused.IsSuccessStatusCode);
        Assert.Contains("invalid_client", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_generated_client_secret_is_kept_across_restarts()
    {
        var first = _sandbox.Client.ClientSecret;
        Assert.True(first.Length >= 32);

        // What the next start does: register again from the same database.
        var restarted = new SandboxClient(fixture.Portal.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Butterbase.Portal.Connections.ToolkitSettingsBySlug>>());
        await using (var scope = fixture.Portal.Services.CreateAsyncScope())
        {
            await restarted.RegisterAsync(scope.ServiceProvider, CancellationToken.None);
            var stored = await scope.ServiceProvider.GetRequiredService<SandboxDb>().Settings.SingleAsync();
            Assert.DoesNotContain(first, stored.Value); // kept encrypted
        }
        Assert.Equal(first, restarted.ClientSecret);
        await _sandbox.ConnectAsync("restart@sandbox.test");
    }

    private static void AssertNoCode(HttpResponseMessage response)
    {
        if (response.Headers.Location is { } location)
            Assert.DoesNotContain("code=", location.Query);
        else
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
