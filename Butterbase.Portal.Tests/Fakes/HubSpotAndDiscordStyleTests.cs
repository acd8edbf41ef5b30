using System.Net;
using System.Text.Json;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Fakes;

public sealed class HubSpotStyleTests : IAsyncLifetime
{
    private FakeOAuthProvider _fake = null!;
    private readonly OAuthTestClient _client = new();

    public async Task InitializeAsync() => _fake = await FakeOAuthProvider.StartAsync(FakeProviderStyle.HubSpot);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task V3_token_with_body_credentials_token_in_path_identity_and_refresh_token_deletion()
    {
        _fake.NextAccount("hank@example.com");
        var pkce = OAuthTestClient.NewPkce();
        var code = (await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, "oauth crm.objects.contacts.read", pkce)))["code"];
        var token = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret),
            ("redirect_uri", OAuthTestClient.RedirectUri), ("code", code), ("code_verifier", pkce.Verifier)]), HttpStatusCode.OK);
        Assert.Equal(1800, token.GetProperty("expires_in").GetInt32());
        Assert.Equal("bearer", token.GetProperty("token_type").GetString());
        Assert.Equal(62515, token.GetProperty("hub_id").GetInt64());
        var access = token.GetProperty("access_token").GetString()!;
        var refresh = token.GetProperty("refresh_token").GetString()!;

        Assert.Contains("{access_token}", _fake.UserInfoUrl);
        var identity = await OAuthTestClient.JsonAsync(
            await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl.Replace("{access_token}", access)), HttpStatusCode.OK);
        Assert.Equal("hank@example.com", identity.GetProperty("user").GetString());
        Assert.Equal("fake-portal.hubspot.com", identity.GetProperty("hub_domain").GetString());
        Assert.Equal(62515, identity.GetProperty("hub_id").GetInt64());
        Assert.Null(_fake.IdentityRequests.Single().Headers.GetValueOrDefault("Authorization"));

        // The refresh token stays the same.
        var refreshed = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "refresh_token"), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret),
            ("redirect_uri", OAuthTestClient.RedirectUri), ("refresh_token", refresh)]), HttpStatusCode.OK);
        Assert.Equal(refresh, refreshed.GetProperty("refresh_token").GetString());
        Assert.NotEqual(access, refreshed.GetProperty("access_token").GetString());

        Assert.Contains("{refresh_token}", _fake.RevocationUrl);
        using var revoke = await _client.SendAsync(HttpMethod.Delete, _fake.RevocationUrl!.Replace("{refresh_token}", refresh));
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var error = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "refresh_token"), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret), ("refresh_token", refresh)]),
            HttpStatusCode.BadRequest);
        Assert.Equal("BAD_REFRESH_TOKEN", error.GetProperty("status").GetString());
        Assert.False(error.TryGetProperty("error", out _));
        Assert.Equal("invalid_grant", _fake.TokenRequests.Last().Error);
    }

    [Fact]
    public async Task Basic_client_auth_and_unknown_codes_are_refused_in_hubspot_format()
    {
        var basic = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl,
            [("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", OAuthTestClient.RedirectUri)],
            basic: (_fake.ClientId, _fake.ClientSecret)), HttpStatusCode.BadRequest);
        Assert.StartsWith("BAD_CLIENT", basic.GetProperty("status").GetString());
        var code = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret),
            ("redirect_uri", OAuthTestClient.RedirectUri), ("code", "nope")]), HttpStatusCode.BadRequest);
        Assert.Equal("BAD_AUTH_CODE", code.GetProperty("status").GetString());
        Assert.True(code.TryGetProperty("correlationId", out _));
    }
}

public sealed class DiscordStyleTests : IAsyncLifetime
{
    private FakeOAuthProvider _fake = null!;
    private readonly OAuthTestClient _client = new();

    public async Task InitializeAsync() => _fake = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Discord);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    private async Task<JsonElement> ConnectAsync(string scope)
    {
        var code = (await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, scope, pkce: null)))["code"];
        return await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", OAuthTestClient.RedirectUri)],
            basic: (_fake.ClientId, _fake.ClientSecret)), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Token_identity_rotating_refresh_and_rfc7009_revocation()
    {
        _fake.NextAccount("dana@example.com");
        var token = await ConnectAsync("identify email guilds");
        Assert.Equal(604800, token.GetProperty("expires_in").GetInt32());
        Assert.Equal("Bearer", token.GetProperty("token_type").GetString());
        Assert.Equal("identify email guilds", token.GetProperty("scope").GetString());
        var refresh = token.GetProperty("refresh_token").GetString()!;

        var me = await OAuthTestClient.JsonAsync(
            await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, token.GetProperty("access_token").GetString()), HttpStatusCode.OK);
        Assert.Equal(_fake.Account("dana@example.com").Id, me.GetProperty("id").GetString());
        Assert.Equal("dana", me.GetProperty("username").GetString());
        Assert.Equal("dana@example.com", me.GetProperty("email").GetString());

        // Body client auth works too; the refresh token rotates and the old one then fails.
        var refreshed = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]),
            HttpStatusCode.OK);
        var newRefresh = refreshed.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(refresh, newRefresh);
        var reused = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [("grant_type", "refresh_token"), ("refresh_token", refresh)],
            basic: (_fake.ClientId, _fake.ClientSecret)), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", reused.GetProperty("error").GetString());
        Assert.Equal(1, _fake.ReusedRefreshTokenAttempts);

        using var revoke = await _client.PostFormAsync(_fake.RevocationUrl!, [("token", newRefresh), ("token_type_hint", "refresh_token")],
            basic: (_fake.ClientId, _fake.ClientSecret));
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.True(_fake.Revocations.Single().Revoked);
        var unauthorized = await OAuthTestClient.JsonAsync(
            await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, refreshed.GetProperty("access_token").GetString()), HttpStatusCode.Unauthorized);
        Assert.Equal("401: Unauthorized", unauthorized.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Email_only_with_email_scope_and_invalid_code_error_text()
    {
        var token = await ConnectAsync("identify guilds");
        var me = await OAuthTestClient.JsonAsync(
            await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, token.GetProperty("access_token").GetString()), HttpStatusCode.OK);
        Assert.False(me.TryGetProperty("email", out _));

        var error = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("code", "nope"), ("redirect_uri", OAuthTestClient.RedirectUri)],
            basic: (_fake.ClientId, _fake.ClientSecret)), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
        Assert.Equal("Invalid \"code\" in request.", error.GetProperty("error_description").GetString());
    }
}
