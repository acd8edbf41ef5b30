using System.Net;
using System.Text;
using System.Text.Json;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Fakes;

public sealed class GoogleStyleTests : IAsyncLifetime
{
    private const string Scope = "openid email https://www.googleapis.com/auth/gmail.send";
    private FakeOAuthProvider _fake = null!;
    private readonly OAuthTestClient _client = new();

    public async Task InitializeAsync() => _fake = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Google);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    private async Task<(HttpResponseMessage Response, string Verifier)> ConnectAsync(params (string, string?)[] extra)
    {
        var pkce = OAuthTestClient.NewPkce();
        var callback = await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, Scope, pkce, extra: extra));
        var response = await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("code", callback["code"]), ("redirect_uri", OAuthTestClient.RedirectUri),
            ("code_verifier", pkce.Verifier), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]);
        return (response, pkce.Verifier);
    }

    [Fact]
    public async Task Authorize_token_userinfo_refresh_and_revoke_behave_like_Google()
    {
        _fake.NextAccount("alice@example.com");
        var pkce = OAuthTestClient.NewPkce();
        var callback = await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, Scope, pkce, "st-1",
            ("access_type", "offline"), ("prompt", "consent")));
        Assert.Equal("st-1", callback["state"]);
        Assert.False(callback.ContainsKey("iss"));
        Assert.Equal("offline", _fake.AuthorizeRequests.Single()["access_type"]);

        var token = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("code", callback["code"]), ("redirect_uri", OAuthTestClient.RedirectUri),
            ("code_verifier", pkce.Verifier), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]), HttpStatusCode.OK);
        Assert.StartsWith("ya29.", token.GetProperty("access_token").GetString());
        Assert.Equal(JsonValueKind.Number, token.GetProperty("expires_in").ValueKind);
        Assert.Equal(3599, token.GetProperty("expires_in").GetInt32());
        Assert.Equal("Bearer", token.GetProperty("token_type").GetString());
        Assert.Equal(Scope, token.GetProperty("scope").GetString());
        var refreshToken = token.GetProperty("refresh_token").GetString()!;
        var idToken = token.GetProperty("id_token").GetString()!.Split('.');
        Assert.Equal(3, idToken.Length);
        var claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(idToken[1])))).RootElement;
        Assert.Equal("alice@example.com", claims.GetProperty("email").GetString());

        var recorded = _fake.TokenRequests.Single();
        Assert.Equal(ClientAuthMethod.Body, recorded.ClientAuth);
        Assert.Equal(pkce.Verifier, recorded.CodeVerifier);
        Assert.Equal(OAuthTestClient.RedirectUri, recorded.RedirectUri);
        Assert.Equal("alice@example.com", recorded.Account);
        Assert.True(recorded.Succeeded);

        var accessToken = token.GetProperty("access_token").GetString()!;
        var userinfo = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, accessToken), HttpStatusCode.OK);
        Assert.Equal(_fake.Account("alice@example.com").Id, userinfo.GetProperty("sub").GetString());
        Assert.Equal("alice@example.com", userinfo.GetProperty("email").GetString());
        Assert.True(userinfo.GetProperty("email_verified").GetBoolean());
        Assert.Equal("Alice", userinfo.GetProperty("name").GetString());
        Assert.Equal(accessToken, _fake.IdentityRequests.Single().Token);

        // Refresh: a new access token, no refresh_token member (keep the old one).
        var refreshed = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "refresh_token"), ("refresh_token", refreshToken),
            ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]), HttpStatusCode.OK);
        Assert.False(refreshed.TryGetProperty("refresh_token", out _));
        var newAccess = refreshed.GetProperty("access_token").GetString()!;
        Assert.NotEqual(accessToken, newAccess);
        Assert.Equal(1, _fake.RefreshGrants);
        var echo = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Get, _fake.EchoUrl, newAccess), HttpStatusCode.OK);
        Assert.Equal("alice@example.com", echo.GetProperty("account").GetString());
        Assert.Equal(newAccess, echo.GetProperty("token").GetString());

        // Revoke the refresh token: the whole grant goes.
        using var revoke = await _client.PostFormAsync(_fake.RevocationUrl!, [("token", refreshToken)]);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.True(_fake.Revocations.Single().Revoked);
        var error = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "refresh_token"), ("refresh_token", refreshToken),
            ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
        Assert.Equal("Token has been expired or revoked.", error.GetProperty("error_description").GetString());
        using var afterRevoke = await _client.SendAsync(HttpMethod.Get, _fake.EchoUrl, newAccess);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
        using var again = await _client.PostFormAsync(_fake.RevocationUrl!, [("token", refreshToken)]);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    [Fact]
    public async Task Refresh_token_only_with_offline_access_and_again_only_with_prompt_consent()
    {
        var (online, _) = await ConnectAsync();
        Assert.False((await OAuthTestClient.JsonAsync(online, HttpStatusCode.OK)).TryGetProperty("refresh_token", out _));

        var (first, _) = await ConnectAsync(("access_type", "offline"));
        Assert.True((await OAuthTestClient.JsonAsync(first, HttpStatusCode.OK)).TryGetProperty("refresh_token", out _));

        var (second, _) = await ConnectAsync(("access_type", "offline"));
        Assert.False((await OAuthTestClient.JsonAsync(second, HttpStatusCode.OK)).TryGetProperty("refresh_token", out _));

        var (reconsent, _) = await ConnectAsync(("access_type", "offline"), ("prompt", "consent"));
        Assert.True((await OAuthTestClient.JsonAsync(reconsent, HttpStatusCode.OK)).TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task Wrong_verifier_wrong_redirect_and_replayed_code_are_Google_errors()
    {
        var pkce = OAuthTestClient.NewPkce();
        var callback = await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, Scope, pkce));
        var wrongVerifier = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("code", callback["code"]), ("redirect_uri", OAuthTestClient.RedirectUri),
            ("code_verifier", OAuthTestClient.NewPkce().Verifier), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]),
            HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", wrongVerifier.GetProperty("error").GetString());
        Assert.Equal("Bad Request", wrongVerifier.GetProperty("error_description").GetString());

        callback = await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, Scope, pkce));
        var wrongRedirect = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("code", callback["code"]), ("redirect_uri", OAuthTestClient.RedirectUri + "/"),
            ("code_verifier", pkce.Verifier), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]),
            HttpStatusCode.BadRequest);
        Assert.Equal("redirect_uri_mismatch", wrongRedirect.GetProperty("error").GetString());

        // A code is single-use; replaying it also revokes what the first exchange issued (RFC 6749 §4.1.2).
        var (ok, verifier) = await ConnectAsync(("access_type", "offline"));
        var issued = await OAuthTestClient.JsonAsync(ok, HttpStatusCode.OK);
        var code = _fake.TokenRequests.Last().Code!;
        var replay = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", OAuthTestClient.RedirectUri),
            ("code_verifier", verifier), ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", replay.GetProperty("error").GetString());
        Assert.False(_fake.IsAccessTokenActive(issued.GetProperty("access_token").GetString()!));

        var badClient = await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("grant_type", "refresh_token"), ("refresh_token", "1//nope"),
            ("client_id", _fake.ClientId), ("client_secret", "wrong")]), HttpStatusCode.Unauthorized);
        Assert.Equal("invalid_client", badClient.GetProperty("error").GetString());

        using var userinfo = await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, "ya29.unknown");
        Assert.Equal(HttpStatusCode.Unauthorized, userinfo.StatusCode);
    }

    private static string Pad(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - s.Length % 4) % 4);
    }
}
