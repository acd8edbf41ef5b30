using System.Net;
using System.Text.Json;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Fakes;

public sealed class MicrosoftStyleTests : IAsyncLifetime
{
    private FakeOAuthProvider _fake = null!;
    private readonly OAuthTestClient _client = new();

    public async Task InitializeAsync() => _fake = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Microsoft);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    private async Task<HttpResponseMessage> ConnectAsync(string scope, string? verifierOverride = null, string? reuseCode = null)
    {
        var pkce = OAuthTestClient.NewPkce();
        var code = reuseCode ?? (await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, scope, pkce, extra: ("response_mode", "query"))))["code"];
        return await _client.PostFormAsync(_fake.TokenUrl, [
            ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret), ("grant_type", "authorization_code"), ("code", code),
            ("redirect_uri", OAuthTestClient.RedirectUri), ("code_verifier", verifierOverride ?? pkce.Verifier), ("scope", scope)]);
    }

    [Fact]
    public async Task V2_endpoints_give_refresh_token_only_with_offline_access_and_me_returns_the_user()
    {
        Assert.EndsWith("/common/oauth2/v2.0/authorize", _fake.AuthorizeUrl);
        Assert.EndsWith("/common/oauth2/v2.0/token", _fake.TokenUrl);
        Assert.Null(_fake.RevocationUrl);
        Assert.DoesNotContain(_fake.SettingsFor("outlook").Keys, k => k.EndsWith(":RevocationUrl"));

        _fake.NextAccount("megan@contoso.test");
        var token = await OAuthTestClient.JsonAsync(await ConnectAsync("openid email offline_access User.Read"), HttpStatusCode.OK);
        Assert.Equal("Bearer", token.GetProperty("token_type").GetString());
        Assert.Equal(JsonValueKind.Number, token.GetProperty("expires_in").ValueKind);
        Assert.Equal(3599, token.GetProperty("expires_in").GetInt32());
        Assert.True(token.TryGetProperty("id_token", out _));
        var refresh = token.GetProperty("refresh_token").GetString()!;
        var access = token.GetProperty("access_token").GetString()!;

        var me = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, access), HttpStatusCode.OK);
        Assert.Equal(_fake.Account("megan@contoso.test").Id, me.GetProperty("id").GetString());
        Assert.Equal("megan@contoso.test", me.GetProperty("userPrincipalName").GetString());
        Assert.Equal("megan@contoso.test", me.GetProperty("mail").GetString());
        Assert.Equal("Megan", me.GetProperty("displayName").GetString());

        // Each refresh returns a new refresh token; the old one is not revoked.
        var refreshed = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret), ("grant_type", "refresh_token"), ("refresh_token", refresh)]),
            HttpStatusCode.OK);
        Assert.NotEqual(refresh, refreshed.GetProperty("refresh_token").GetString());
        Assert.True(_fake.IsRefreshTokenActive(refresh));

        _fake.ExpireAccessToken(access);
        var expired = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, access), HttpStatusCode.Unauthorized);
        Assert.Equal("InvalidAuthenticationToken", expired.GetProperty("error").GetProperty("code").GetString());

        var online = await OAuthTestClient.JsonAsync(await ConnectAsync("openid User.Read"), HttpStatusCode.OK);
        Assert.False(online.TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task Errors_carry_aadsts_codes()
    {
        var bad = await OAuthTestClient.JsonAsync(await ConnectAsync("User.Read", reuseCode: "M.C5_nope"), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", bad.GetProperty("error").GetString());
        Assert.StartsWith("AADSTS70000:", bad.GetProperty("error_description").GetString());
        Assert.Equal(70000, bad.GetProperty("error_codes")[0].GetInt32());
        Assert.True(bad.TryGetProperty("trace_id", out _));
        Assert.True(bad.TryGetProperty("correlation_id", out _));

        var pkce = await OAuthTestClient.JsonAsync(await ConnectAsync("User.Read", verifierOverride: OAuthTestClient.NewPkce().Verifier), HttpStatusCode.BadRequest);
        Assert.Equal(501481, pkce.GetProperty("error_codes")[0].GetInt32());

        Assert.Equal(HttpStatusCode.OK, (await ConnectAsync("User.Read")).StatusCode);
        var reused = await OAuthTestClient.JsonAsync(await ConnectAsync("User.Read", reuseCode: _fake.TokenRequests.Last().Code), HttpStatusCode.BadRequest);
        Assert.Equal(54005, reused.GetProperty("error_codes")[0].GetInt32());

        var client = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("client_id", _fake.ClientId), ("client_secret", "wrong"), ("grant_type", "refresh_token"), ("refresh_token", "x")]),
            HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_client", client.GetProperty("error").GetString());
        Assert.Equal(7000215, client.GetProperty("error_codes")[0].GetInt32());
    }
}
