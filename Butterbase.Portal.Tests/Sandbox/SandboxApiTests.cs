using System.Net;
using System.Text;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Sandbox;
using Butterbase.Portal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Sandbox;

/// <summary>The Sandbox's messages API: bearer tokens, scopes, input validation, per-account data.</summary>
public sealed class SandboxApiTests(SandboxPortal fixture) : IClassFixture<SandboxPortal>, IDisposable
{
    private readonly SandboxDriver _sandbox = new(fixture.Portal);
    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Without_a_token_the_api_answers_401_with_a_bearer_challenge()
    {
        var response = await _sandbox.ApiAsync(HttpMethod.Get, "/me", accessToken: null);
        await JsonAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_forged_token_is_invalid_token()
    {
        var response = await _sandbox.ApiAsync(HttpMethod.Get, "/messages", "not-a-token");
        await JsonAssert.ErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_token_without_the_scope_is_403_insufficient_scope()
    {
        var tokens = await _sandbox.ConnectAsync("reader@sandbox.test", scope: "messages.read");
        Assert.Null(tokens.RefreshToken); // no offline_access, no refresh token

        var send = await _sandbox.ApiAsync(HttpMethod.Post, "/messages", tokens.AccessToken, new { to = "bob", text = "hi" });
        await JsonAssert.ErrorAsync(send, HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Contains("scope=\"messages.write\"", send.Headers.WwwAuthenticate.ToString());
        await JsonAssert.OkAsync(await _sandbox.ApiAsync(HttpMethod.Get, "/messages", tokens.AccessToken));
        await JsonAssert.OkAsync(await _sandbox.ApiAsync(HttpMethod.Get, "/me", tokens.AccessToken));
    }

    [Fact]
    public async Task Messages_belong_to_their_account_newest_first_with_a_limit()
    {
        var carol = await _sandbox.ConnectAsync("carol@sandbox.test");
        var dave = await _sandbox.ConnectAsync("dave@sandbox.test");
        foreach (var text in new[] { "one", "two", "three" })
            Assert.Equal(HttpStatusCode.Created, (await _sandbox.ApiAsync(HttpMethod.Post, "/messages", carol.AccessToken, new { to = "x", text })).StatusCode);

        var list = await JsonAssert.OkAsync(await _sandbox.ApiAsync(HttpMethod.Get, "/messages?limit=2", carol.AccessToken));
        Assert.Equal(["three", "two"], list.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        var none = await JsonAssert.OkAsync(await _sandbox.ApiAsync(HttpMethod.Get, "/messages", dave.AccessToken));
        Assert.Empty(none.GetProperty("messages").EnumerateArray());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("ten")]
    public async Task A_bad_limit_is_422(string limit)
    {
        var tokens = await _sandbox.ConnectAsync("limit@sandbox.test");
        await JsonAssert.ErrorAsync(await _sandbox.ApiAsync(HttpMethod.Get, $"/messages?limit={limit}", tokens.AccessToken), HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    [Fact]
    public async Task Bad_messages_are_422_and_bad_json_400()
    {
        var tokens = await _sandbox.ConnectAsync("input@sandbox.test");
        var missing = await JsonAssert.ErrorAsync(await _sandbox.ApiAsync(HttpMethod.Post, "/messages", tokens.AccessToken, new { to = " " }),
            HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal(["text", "to"], missing.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()).Order());
        await JsonAssert.ErrorAsync(await _sandbox.ApiAsync(HttpMethod.Post, "/messages", tokens.AccessToken, new { to = "bob", text = new string('x', 4001) }),
            HttpStatusCode.UnprocessableEntity, "validation_failed");

        using var http = fixture.Portal.Http(tokens.AccessToken);
        var malformed = await http.PostAsync("/sandbox/api/messages", new StringContent("{\"to\":", Encoding.UTF8, "application/json"));
        await JsonAssert.ErrorAsync(malformed, HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public void The_portal_reads_the_client_through_ISandboxClient()
    {
        var client = fixture.Portal.Services.GetRequiredService<ISandboxClient>();
        Assert.Same(fixture.Portal.Services.GetRequiredService<SandboxClient>(), client);
        Assert.Equal(SandboxClient.DefaultClientId, client.ClientId);
    }
}

/// <summary>Access token expiry, with a two-second lifetime (one second can be gone before `expires_in` is written).</summary>
public sealed class SandboxExpiryTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new PortalApplication()
        .With("Butterbase:Sandbox:Enabled", "true")
        .With("Butterbase:Sandbox:AccessTokenLifetimeSeconds", "2");
    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task An_expired_access_token_is_401_invalid_token_and_a_refresh_fixes_it()
    {
        using var sandbox = new SandboxDriver(_portal);
        var tokens = await sandbox.ConnectAsync();
        Assert.InRange(tokens.ExpiresIn, 1, 2);
        await Task.Delay(TimeSpan.FromSeconds(3));

        var expired = await sandbox.ApiAsync(HttpMethod.Get, "/me", tokens.AccessToken);
        await JsonAssert.ErrorAsync(expired, HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Contains("error=\"invalid_token\"", expired.Headers.WwwAuthenticate.ToString());

        var refreshed = await SandboxDriver.Tokens.ReadAsync(await sandbox.RefreshAsync(tokens.RefreshToken!));
        await JsonAssert.OkAsync(await sandbox.ApiAsync(HttpMethod.Get, "/me", refreshed.AccessToken));
        Assert.Equal(1, sandbox.Stats.RefreshGrants);
    }
}

/// <summary>With `Butterbase:Sandbox:Enabled` off, nothing of the Sandbox exists.</summary>
public sealed class SandboxDisabledTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new PortalApplication().With("Butterbase:Sandbox:Enabled", "false");
    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Nothing_is_registered_or_mapped()
    {
        using var http = _portal.Http();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/sandbox/connect/authorize?client_id=butterbase-sandbox")).StatusCode);
        // The portal's page routes answer other methods with 405; what matters is that no token endpoint answers.
        Assert.Contains((await http.PostAsync("/sandbox/connect/token", new FormUrlEncodedContent([]))).StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/sandbox/api/me")).StatusCode);
        Assert.Null(_portal.Services.GetService<ISandboxClient>());
        Assert.Null(_portal.Services.GetService<SandboxStats>());
    }
}
