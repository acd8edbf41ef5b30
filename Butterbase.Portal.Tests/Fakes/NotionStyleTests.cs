using System.Net;
using System.Text.Json;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Fakes;

public sealed class NotionStyleTests : IAsyncLifetime
{
    private const string Version = "2022-06-28";
    private FakeOAuthProvider _fake = null!;
    private readonly OAuthTestClient _client = new();

    public async Task InitializeAsync() => _fake = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Notion);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    private async Task<string> CodeAsync() =>
        (await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, "", pkce: null, extra: ("owner", "user"))))["code"];

    private Task<HttpResponseMessage> PostJsonAsync(string url, object body, bool basic = true, string? version = Version)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonAssert.Body(body) };
        if (basic) request.Headers.Authorization = OAuthTestClient.Basic(_fake.ClientId, _fake.ClientSecret);
        if (version is not null) request.Headers.Add("Notion-Version", version);
        return _client.Http.SendAsync(request);
    }

    [Fact]
    public async Task Basic_auth_and_json_body_give_workspace_token_and_users_me_needs_notion_version()
    {
        _fake.NextAccount("nora@example.com");
        var token = await OAuthTestClient.JsonAsync(await PostJsonAsync(_fake.TokenUrl, new
        {
            grant_type = "authorization_code",
            code = await CodeAsync(),
            redirect_uri = OAuthTestClient.RedirectUri,
        }), HttpStatusCode.OK);
        var access = token.GetProperty("access_token").GetString()!;
        Assert.Equal("bearer", token.GetProperty("token_type").GetString());
        Assert.False(token.TryGetProperty("expires_in", out _));
        var botId = token.GetProperty("bot_id").GetString()!;
        Assert.True(Guid.TryParse(token.GetProperty("workspace_id").GetString(), out _));
        Assert.Equal("Fake Workspace", token.GetProperty("workspace_name").GetString());
        Assert.Equal("nora@example.com", token.GetProperty("owner").GetProperty("user").GetProperty("person").GetProperty("email").GetString());
        var refresh = token.GetProperty("refresh_token").GetString()!;
        Assert.Equal(ClientAuthMethod.Basic, _fake.TokenRequests.Single().ClientAuth);
        Assert.StartsWith("application/json", _fake.TokenRequests.Single().ContentType);

        var missing = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, access), HttpStatusCode.BadRequest);
        Assert.Equal("error", missing.GetProperty("object").GetString());
        Assert.Equal(400, missing.GetProperty("status").GetInt32());
        Assert.Equal("missing_version", missing.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(missing.GetProperty("message").GetString()));

        var me = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, access, null, ("Notion-Version", Version)),
            HttpStatusCode.OK);
        Assert.Equal("bot", me.GetProperty("type").GetString());
        Assert.Equal(botId, me.GetProperty("id").GetString());
        Assert.Equal("nora@example.com", me.GetProperty("bot").GetProperty("owner").GetProperty("user").GetProperty("person").GetProperty("email").GetString());
        using (var echoWithoutVersion = await _client.SendAsync(HttpMethod.Get, _fake.EchoUrl, access))
            Assert.Equal(HttpStatusCode.BadRequest, echoWithoutVersion.StatusCode);

        // Refresh answers refresh_token: null (keep the old one).
        var refreshed = await OAuthTestClient.JsonAsync(await PostJsonAsync(_fake.TokenUrl, new { grant_type = "refresh_token", refresh_token = refresh }),
            HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, refreshed.GetProperty("refresh_token").ValueKind);
        var newAccess = refreshed.GetProperty("access_token").GetString()!;

        using var revoke = await PostJsonAsync(_fake.RevocationUrl!, new { token = newAccess });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(ClientAuthMethod.Basic, _fake.Revocations.Single().ClientAuth);
        var unauthorized = await OAuthTestClient.JsonAsync(
            await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, newAccess, null, ("Notion-Version", Version)), HttpStatusCode.Unauthorized);
        Assert.Equal("unauthorized", unauthorized.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Form_body_and_client_secret_in_body_are_refused()
    {
        var form = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("code", await CodeAsync()), ("redirect_uri", OAuthTestClient.RedirectUri)],
            basic: (_fake.ClientId, _fake.ClientSecret)), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_request", form.GetProperty("error").GetString());

        var bodyAuth = await OAuthTestClient.JsonAsync(await PostJsonAsync(_fake.TokenUrl, new
        {
            grant_type = "authorization_code",
            code = await CodeAsync(),
            redirect_uri = OAuthTestClient.RedirectUri,
            client_id = _fake.ClientId,
            client_secret = _fake.ClientSecret,
        }, basic: false), HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_client", bodyAuth.GetProperty("error").GetString());

        var badCode = await OAuthTestClient.JsonAsync(await PostJsonAsync(_fake.TokenUrl, new
        {
            grant_type = "authorization_code",
            code = "nope",
            redirect_uri = OAuthTestClient.RedirectUri,
        }), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", badCode.GetProperty("error").GetString());
        Assert.True(badCode.TryGetProperty("request_id", out _));
    }
}
