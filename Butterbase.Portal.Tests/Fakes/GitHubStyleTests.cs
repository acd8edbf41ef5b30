using System.Net;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;

namespace Butterbase.Portal.Tests.Fakes;

public sealed class GitHubStyleTests : IAsyncLifetime
{
    private FakeOAuthProvider _fake = null!;
    private readonly OAuthTestClient _client = new();

    public async Task InitializeAsync() => _fake = await FakeOAuthProvider.StartAsync(FakeProviderStyle.GitHub);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    private readonly (string Verifier, string Challenge) _pkce = OAuthTestClient.NewPkce();

    private async Task<string> CodeAsync() =>
        (await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, "repo read:user", _pkce)))["code"];

    private async Task<HttpResponseMessage> ExchangeAsync(string code, string? accept, string secret = "", string? redirectUri = OAuthTestClient.RedirectUri)
    {
        List<(string, string)> form = [("client_id", _fake.ClientId), ("client_secret", secret == "" ? _fake.ClientSecret : secret),
            ("code", code), ("code_verifier", _pkce.Verifier)];
        if (redirectUri is not null) form.Add(("redirect_uri", redirectUri));
        return await _client.PostFormAsync(_fake.TokenUrl, form, accept: accept);
    }

    [Fact]
    public async Task Token_is_form_encoded_unless_json_is_accepted_and_the_api_needs_a_user_agent()
    {
        _fake.NextAccount("octo@example.com").NextAccount("octo@example.com");
        using var formResponse = await ExchangeAsync(await CodeAsync(), accept: null);
        Assert.Equal(HttpStatusCode.OK, formResponse.StatusCode);
        Assert.Equal("application/x-www-form-urlencoded", formResponse.Content.Headers.ContentType?.MediaType);
        var form = QueryHelpers.ParseQuery(await formResponse.Content.ReadAsStringAsync());
        Assert.StartsWith("gho_", form["access_token"].ToString());
        Assert.Equal("repo,read:user", form["scope"].ToString());
        Assert.Equal("bearer", form["token_type"].ToString());
        Assert.False(form.ContainsKey("refresh_token"));

        var json = await OAuthTestClient.JsonAsync(await ExchangeAsync(await CodeAsync(), "application/json"), HttpStatusCode.OK);
        var token = json.GetProperty("access_token").GetString()!;
        Assert.Equal("repo,read:user", json.GetProperty("scope").GetString());
        Assert.Equal(_pkce.Verifier, _fake.TokenRequests.Last().CodeVerifier);

        using (var noAgent = await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, token))
            Assert.Equal(HttpStatusCode.Forbidden, noAgent.StatusCode);
        var user = await OAuthTestClient.JsonAsync(
            await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, token, null, ("User-Agent", "butterbase-tests")), HttpStatusCode.OK);
        Assert.Equal("octo", user.GetProperty("login").GetString());
        Assert.Equal(long.Parse(_fake.Account("octo@example.com").Id), user.GetProperty("id").GetInt64());
        Assert.Equal("octo@example.com", user.GetProperty("email").GetString());

        // DELETE /applications/{client_id}/grant with Basic client auth and {access_token} removes every token of the app for the user.
        Assert.Contains("{client_id}", _fake.RevocationUrl);
        var revocationUrl = _fake.RevocationUrl!.Replace("{client_id}", _fake.ClientId);
        using var request = new HttpRequestMessage(HttpMethod.Delete, revocationUrl) { Content = JsonAssert.Body(new { access_token = token }) };
        request.Headers.Authorization = OAuthTestClient.Basic(_fake.ClientId, _fake.ClientSecret);
        request.Headers.UserAgent.ParseAdd("butterbase-tests");
        using var revoke = await _client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.False(_fake.IsAccessTokenActive(form["access_token"].ToString()));
        var badCredentials = await OAuthTestClient.JsonAsync(
            await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, token, null, ("User-Agent", "butterbase-tests")), HttpStatusCode.Unauthorized);
        Assert.Equal("Bad credentials", badCredentials.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Token_errors_are_http_200_with_github_error_codes()
    {
        using var formError = await ExchangeAsync("nope", accept: null);
        Assert.Equal(HttpStatusCode.OK, formError.StatusCode);
        Assert.Equal("bad_verification_code", QueryHelpers.ParseQuery(await formError.Content.ReadAsStringAsync())["error"].ToString());

        var badSecret = await OAuthTestClient.JsonAsync(await ExchangeAsync(await CodeAsync(), "application/json", secret: "wrong"), HttpStatusCode.OK);
        Assert.Equal("incorrect_client_credentials", badSecret.GetProperty("error").GetString());
        var badRedirect = await OAuthTestClient.JsonAsync(
            await ExchangeAsync(await CodeAsync(), "application/json", redirectUri: "https://evil.test/cb"), HttpStatusCode.OK);
        Assert.Equal("redirect_uri_mismatch", badRedirect.GetProperty("error").GetString());
        var badVerifier = await ExchangeWithVerifierAsync(await CodeAsync(), OAuthTestClient.NewPkce().Verifier);
        Assert.Equal("bad_verification_code", badVerifier.GetProperty("error").GetString());
        Assert.Equal(["invalid_grant", "invalid_client", "invalid_grant", "invalid_grant"], _fake.TokenRequests.Select(r => r.Error));

        // redirect_uri may be left out at the token endpoint.
        var ok = await OAuthTestClient.JsonAsync(await ExchangeAsync(await CodeAsync(), "application/json", redirectUri: null), HttpStatusCode.OK);
        Assert.StartsWith("gho_", ok.GetProperty("access_token").GetString());
    }

    private async Task<System.Text.Json.JsonElement> ExchangeWithVerifierAsync(string code, string verifier) =>
        await OAuthTestClient.JsonAsync(await _client.PostFormAsync(_fake.TokenUrl, [
            ("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret), ("code", code), ("code_verifier", verifier),
            ("redirect_uri", OAuthTestClient.RedirectUri)], accept: "application/json"), HttpStatusCode.OK);
}
