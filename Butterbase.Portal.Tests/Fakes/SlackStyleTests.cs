using System.Net;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Fakes;

public sealed class SlackStyleTests : IAsyncLifetime
{
    private FakeOAuthProvider _fake = null!;
    private readonly OAuthTestClient _client = new();

    public async Task InitializeAsync() => _fake = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Slack);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    private async Task<string> CodeAsync(string scope = "chat:write,channels:read", string? userScope = "search:read") =>
        (await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, scope, pkce: null, extra: ("user_scope", userScope))))["code"];

    [Fact]
    public async Task Oauth_v2_access_gives_bot_and_user_tokens_and_auth_test_and_auth_revoke_answer_200()
    {
        _fake.NextAccount("grace@example.com");
        var code = await CodeAsync();
        Assert.Equal("search:read", _fake.AuthorizeRequests.Single()["user_scope"]);

        var token = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl,
            [("code", code), ("redirect_uri", OAuthTestClient.RedirectUri)], basic: (_fake.ClientId, _fake.ClientSecret)), HttpStatusCode.OK);
        Assert.True(token.GetProperty("ok").GetBoolean());
        var bot = token.GetProperty("access_token").GetString()!;
        Assert.StartsWith("xoxb-", bot);
        Assert.Equal("bot", token.GetProperty("token_type").GetString());
        Assert.Equal("chat:write,channels:read", token.GetProperty("scope").GetString());
        Assert.Equal("U0FAKEBOT", token.GetProperty("bot_user_id").GetString());
        Assert.Equal("T0FAKETEAM", token.GetProperty("team").GetProperty("id").GetString());
        Assert.False(token.TryGetProperty("refresh_token", out _));
        Assert.False(token.TryGetProperty("expires_in", out _));
        var user = token.GetProperty("authed_user");
        Assert.Equal(_fake.Account("grace@example.com").Id, user.GetProperty("id").GetString());
        Assert.Equal("search:read", user.GetProperty("scope").GetString());
        Assert.Equal("user", user.GetProperty("token_type").GetString());
        var userToken = user.GetProperty("access_token").GetString()!;
        Assert.StartsWith("xoxp-", userToken);
        Assert.Equal(ClientAuthMethod.Basic, _fake.TokenRequests.Single().ClientAuth);

        var botIdentity = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Post, _fake.UserInfoUrl, bot), HttpStatusCode.OK);
        Assert.True(botIdentity.GetProperty("ok").GetBoolean());
        Assert.Equal("T0FAKETEAM", botIdentity.GetProperty("team_id").GetString());
        Assert.Equal("U0FAKEBOT", botIdentity.GetProperty("user_id").GetString());
        Assert.Equal("https://fake-workspace.slack.com/", botIdentity.GetProperty("url").GetString());
        var userIdentity = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Post, _fake.UserInfoUrl, userToken), HttpStatusCode.OK);
        Assert.Equal("grace", userIdentity.GetProperty("user").GetString());
        Assert.Equal(_fake.Account("grace@example.com").Id, userIdentity.GetProperty("user_id").GetString());

        var revoked = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Post, _fake.RevocationUrl!, bot), HttpStatusCode.OK);
        Assert.True(revoked.GetProperty("ok").GetBoolean());
        Assert.True(revoked.GetProperty("revoked").GetBoolean());
        Assert.Equal(bot, _fake.Revocations.Single().Token);

        // Slack never says 401: errors are HTTP 200 with ok:false.
        var afterRevoke = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Post, _fake.UserInfoUrl, bot), HttpStatusCode.OK);
        Assert.False(afterRevoke.GetProperty("ok").GetBoolean());
        Assert.Equal("invalid_auth", afterRevoke.GetProperty("error").GetString());
        var echo = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Get, _fake.EchoUrl, bot), HttpStatusCode.OK);
        Assert.Equal("invalid_auth", echo.GetProperty("error").GetString());
        var userEcho = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Get, _fake.EchoUrl, userToken), HttpStatusCode.OK);
        Assert.Equal("grace@example.com", userEcho.GetProperty("account").GetString());
        var notAuthed = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Post, _fake.UserInfoUrl), HttpStatusCode.OK);
        Assert.Equal("not_authed", notAuthed.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_errors_are_http_200_with_ok_false()
    {
        async Task<string> ErrorAsync(IEnumerable<(string, string)> form, (string, string)? basic)
        {
            var body = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, form, basic), HttpStatusCode.OK);
            Assert.False(body.GetProperty("ok").GetBoolean());
            return body.GetProperty("error").GetString()!;
        }

        var credentials = (_fake.ClientId, _fake.ClientSecret);
        Assert.Equal("invalid_code", await ErrorAsync([("code", "nope"), ("redirect_uri", OAuthTestClient.RedirectUri)], credentials));
        Assert.Equal("bad_client_secret", await ErrorAsync([("code", await CodeAsync()), ("redirect_uri", OAuthTestClient.RedirectUri)],
            (_fake.ClientId, "wrong")));
        Assert.Equal("bad_redirect_uri", await ErrorAsync([("code", await CodeAsync()), ("redirect_uri", "https://evil.test/cb")], credentials));
        Assert.Equal("invalid_refresh_token", await ErrorAsync([("grant_type", "refresh_token"), ("refresh_token", "xoxe-1-nope")], credentials));
        Assert.All(_fake.TokenRequests, r => Assert.Equal(200, r.StatusCode));
        Assert.Equal(["invalid_grant", "invalid_client", "invalid_grant", "invalid_grant"], _fake.TokenRequests.Select(r => r.Error));

        // Client credentials in the body work too.
        var ok = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("code", await CodeAsync(userScope: null)), ("redirect_uri", OAuthTestClient.RedirectUri),
            ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]), HttpStatusCode.OK);
        Assert.True(ok.GetProperty("ok").GetBoolean());
        Assert.False(ok.GetProperty("authed_user").TryGetProperty("access_token", out _));
        Assert.Equal(ClientAuthMethod.Body, _fake.TokenRequests.Last().ClientAuth);
    }

    [Fact]
    public async Task With_token_rotation_tokens_expire_and_refresh()
    {
        _fake.Options.SlackTokenRotation = true;
        var token = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl,
            [("code", await CodeAsync()), ("redirect_uri", OAuthTestClient.RedirectUri)], basic: (_fake.ClientId, _fake.ClientSecret)), HttpStatusCode.OK);
        Assert.Equal(43200, token.GetProperty("expires_in").GetInt32());
        var refresh = token.GetProperty("refresh_token").GetString()!;
        Assert.StartsWith("xoxe-1-", refresh);
        Assert.StartsWith("xoxe-1-", token.GetProperty("authed_user").GetProperty("refresh_token").GetString());

        var refreshed = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl,
            [("grant_type", "refresh_token"), ("refresh_token", refresh)], basic: (_fake.ClientId, _fake.ClientSecret)), HttpStatusCode.OK);
        Assert.True(refreshed.GetProperty("ok").GetBoolean());
        Assert.StartsWith("xoxb-", refreshed.GetProperty("access_token").GetString());
        Assert.Equal("bot", refreshed.GetProperty("token_type").GetString());
        Assert.NotEqual(refresh, refreshed.GetProperty("refresh_token").GetString());
        Assert.Equal(1, _fake.RefreshGrants);
    }
}
