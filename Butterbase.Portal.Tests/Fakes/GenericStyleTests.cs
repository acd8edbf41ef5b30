using System.Net;
using System.Text.Json;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace Butterbase.Portal.Tests.Fakes;

public sealed class GenericStyleTests : IAsyncLifetime
{
    private FakeOAuthProvider _fake = null!;
    private readonly OAuthTestClient _client = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public async Task InitializeAsync() =>
        _fake = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic, o => o.TimeProvider = _time);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    private async Task<(string Code, string Verifier)> AuthorizeAsync(string? account = null)
    {
        if (account is not null) _fake.NextAccount(account);
        var pkce = OAuthTestClient.NewPkce();
        var callback = await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, "read write", pkce));
        return (callback["code"], pkce.Verifier);
    }

    private Task<HttpResponseMessage> ExchangeAsync(string code, string verifier, bool basic = false, string redirectUri = OAuthTestClient.RedirectUri)
    {
        List<(string, string)> form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectUri), ("code_verifier", verifier)];
        if (!basic) form.AddRange([("client_id", _fake.ClientId), ("client_secret", _fake.ClientSecret)]);
        return _client.PostFormAsync(_fake.TokenUrl, form, basic ? (_fake.ClientId, _fake.ClientSecret) : null);
    }

    private Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        _client.PostFormAsync(_fake.TokenUrl, [("grant_type", "refresh_token"), ("refresh_token", refreshToken)], (_fake.ClientId, _fake.ClientSecret));

    private async Task<JsonElement> ConnectAsync(string? account = null)
    {
        var (code, verifier) = await AuthorizeAsync(account);
        return await OAuthTestClient.JsonAsync(await ExchangeAsync(code, verifier), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Rfc6749_7636_7009_and_9207_round_trip()
    {
        _fake.Options.Issuer = "https://issuer.test";
        _fake.Options.RequirePkce = true;
        _fake.NextAccount("alice@example.com");
        var pkce = OAuthTestClient.NewPkce();
        var callback = await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, "read write", pkce, "s t&x"));
        Assert.Equal("s t&x", callback["state"]);
        Assert.Equal("https://issuer.test", callback["iss"]);
        var recorded = _fake.AuthorizeRequests.Single();
        Assert.Equal(pkce.Challenge, recorded.CodeChallenge);
        Assert.Equal("S256", recorded.CodeChallengeMethod);
        Assert.Equal("alice@example.com", recorded.Account);

        var token = await OAuthTestClient.JsonAsync(await ExchangeAsync(callback["code"], pkce.Verifier, basic: true), HttpStatusCode.OK);
        Assert.Equal(3600, token.GetProperty("expires_in").GetInt32());
        Assert.Equal("read write", token.GetProperty("scope").GetString());
        Assert.Equal(ClientAuthMethod.Basic, _fake.TokenRequests.Single().ClientAuth);
        var access = token.GetProperty("access_token").GetString()!;
        var refresh = token.GetProperty("refresh_token").GetString()!;

        var userinfo = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Get, _fake.UserInfoUrl, access), HttpStatusCode.OK);
        Assert.Equal("alice@example.com", userinfo.GetProperty("email").GetString());

        var refreshed = await OAuthTestClient.JsonAsync(await RefreshAsync(refresh), HttpStatusCode.OK);
        Assert.False(refreshed.TryGetProperty("refresh_token", out _));
        var newAccess = refreshed.GetProperty("access_token").GetString()!;

        // RFC 7009: revoking an access token ends only that token; revoking the refresh token ends the grant; unknown → 200.
        using (var r = await _client.PostFormAsync(_fake.RevocationUrl!, [("token", access), ("token_type_hint", "access_token")], (_fake.ClientId, _fake.ClientSecret)))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.False(_fake.IsAccessTokenActive(access));
        Assert.True(_fake.IsAccessTokenActive(newAccess));
        using (var r = await _client.PostFormAsync(_fake.RevocationUrl!, [("token", refresh)], (_fake.ClientId, _fake.ClientSecret)))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.False(_fake.IsAccessTokenActive(newAccess));
        using (var r = await _client.PostFormAsync(_fake.RevocationUrl!, [("token", "unknown")], (_fake.ClientId, _fake.ClientSecret)))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await _client.PostFormAsync(_fake.RevocationUrl!, [("token", "unknown")]))
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal([true, true, false, false], _fake.Revocations.Select(r => r.Revoked));
        var error = await OAuthTestClient.JsonAsync(await RefreshAsync(refresh), HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Authorize_errors_do_not_redirect_for_bad_client_or_redirect_uri_and_redirect_otherwise()
    {
        using (var unknownClient = await _client.Http.GetAsync(OAuthTestClient.Url(_fake.AuthorizeUrl,
                   ("client_id", "someone-else"), ("redirect_uri", OAuthTestClient.RedirectUri), ("response_type", "code"))))
            Assert.Equal(HttpStatusCode.BadRequest, unknownClient.StatusCode);

        _fake.Options.RegisteredRedirectUris = [OAuthTestClient.RedirectUri];
        using (var unregistered = await _client.Http.GetAsync(OAuthTestClient.Url(_fake.AuthorizeUrl,
                   ("client_id", _fake.ClientId), ("redirect_uri", "https://evil.test/cb"), ("response_type", "code"))))
            Assert.Equal(HttpStatusCode.BadRequest, unregistered.StatusCode);

        _fake.DenyNext();
        var denied = await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, "read", OAuthTestClient.NewPkce(), "st"));
        Assert.Equal("access_denied", denied["error"]);
        Assert.Equal("<script>alert('xss')</script>", denied["error_description"]);
        Assert.Equal("st", denied["state"]);
        Assert.False(denied.ContainsKey("code"));

        _fake.Options.RequirePkce = true;
        var noPkce = await _client.AuthorizeAsync(OAuthTestClient.AuthorizeUrl(_fake, "read", pkce: null));
        Assert.Equal("invalid_request", noPkce["error"]);
        var plain = await _client.AuthorizeAsync(OAuthTestClient.Url(_fake.AuthorizeUrl, ("client_id", _fake.ClientId),
            ("redirect_uri", OAuthTestClient.RedirectUri), ("response_type", "code"), ("code_challenge", new string('a', 43)),
            ("code_challenge_method", "plain")));
        Assert.Equal("invalid_request", plain["error"]);

        Assert.Equal(["invalid_client", "redirect_uri_mismatch", "access_denied", "invalid_request", "invalid_request"],
            _fake.AuthorizeRequests.Select(a => a.Error));
        Assert.Empty(_fake.TokenRequests);
    }

    [Fact]
    public async Task Codes_are_single_use_bound_to_redirect_uri_and_verifier_and_expire()
    {
        var (code, verifier) = await AuthorizeAsync();
        var wrongRedirect = await OAuthTestClient.JsonAsync(await ExchangeAsync(code, verifier, redirectUri: OAuthTestClient.RedirectUri + "?"),
            HttpStatusCode.BadRequest);
        Assert.Equal("invalid_grant", wrongRedirect.GetProperty("error").GetString());

        (code, verifier) = await AuthorizeAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await ExchangeAsync(code, OAuthTestClient.NewPkce().Verifier)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ExchangeAsync(code, verifier)).StatusCode); // burnt by the failed attempt

        (code, verifier) = await AuthorizeAsync();
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(HttpStatusCode.BadRequest, (await ExchangeAsync(code, verifier)).StatusCode);

        (code, verifier) = await AuthorizeAsync();
        Assert.Equal(HttpStatusCode.OK, (await ExchangeAsync(code, verifier)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ExchangeAsync(code, verifier)).StatusCode);
        Assert.Equal(["invalid_grant", "invalid_grant", "invalid_grant", "invalid_grant", null, "invalid_grant"],
            _fake.TokenRequests.Select(r => r.Error));
    }

    [Fact]
    public async Task Client_authentication_follows_the_option_and_never_both()
    {
        var (code, verifier) = await AuthorizeAsync();
        using (var both = await _client.PostFormAsync(_fake.TokenUrl, [("grant_type", "authorization_code"), ("code", code),
                   ("redirect_uri", OAuthTestClient.RedirectUri), ("code_verifier", verifier), ("client_secret", _fake.ClientSecret)],
                   (_fake.ClientId, _fake.ClientSecret)))
            Assert.Equal("invalid_request", (await OAuthTestClient.JsonAsync(both, HttpStatusCode.BadRequest)).GetProperty("error").GetString());
        Assert.Equal(ClientAuthMethod.BasicAndBody, _fake.TokenRequests.Single().ClientAuth);

        _fake.Options.TokenEndpointAuth = TokenEndpointAuth.ClientSecretBasic;
        (code, verifier) = await AuthorizeAsync();
        using var post = await ExchangeAsync(code, verifier);
        Assert.Equal("invalid_client", (await OAuthTestClient.JsonAsync(post, HttpStatusCode.Unauthorized)).GetProperty("error").GetString());

        _fake.Options.TokenEndpointAuth = TokenEndpointAuth.ClientSecretPost;
        (code, verifier) = await AuthorizeAsync();
        using var basic = await ExchangeAsync(code, verifier, basic: true);
        Assert.Equal(HttpStatusCode.Unauthorized, basic.StatusCode);
        Assert.Contains("Basic", basic.Headers.WwwAuthenticate.ToString());

        using var json = await _client.Http.PostAsync(_fake.TokenUrl, Support.JsonAssert.Body(new { grant_type = "refresh_token", refresh_token = "x" }));
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
    }

    [Fact]
    public async Task Options_vary_the_token_response()
    {
        _fake.Options.ExpiresInAsString = true;
        var token = await ConnectAsync();
        Assert.Equal(JsonValueKind.String, token.GetProperty("expires_in").ValueKind);
        Assert.Equal("3600", token.GetProperty("expires_in").GetString());

        _fake.Options.OmitRefreshToken = true;
        Assert.False((await ConnectAsync()).TryGetProperty("refresh_token", out _));

        _fake.Options.OmitRefreshToken = false;
        _fake.Options.RotateRefreshTokens = true;
        var refresh = (await ConnectAsync()).GetProperty("refresh_token").GetString()!;
        var rotated = await OAuthTestClient.JsonAsync(await RefreshAsync(refresh), HttpStatusCode.OK);
        var next = rotated.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(refresh, next);
        Assert.Equal("invalid_grant", (await OAuthTestClient.JsonAsync(await RefreshAsync(refresh), HttpStatusCode.BadRequest)).GetProperty("error").GetString());
        Assert.Equal(1, _fake.ReusedRefreshTokenAttempts);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(next)).StatusCode);
        Assert.Equal(3, _fake.RefreshGrants);
    }

    [Fact]
    public async Task Concurrent_refreshes_with_rotation_let_exactly_one_win()
    {
        _fake.Options.RotateRefreshTokens = true;
        var seeded = _fake.IssueTokenFor("alice@example.com");
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => RefreshAsync(seeded.RefreshToken!)));
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.BadRequest));
        Assert.Equal(10, _fake.RefreshGrants);
        foreach (var response in responses) response.Dispose();
    }

    [Fact]
    public async Task Injected_failures_do_not_consume_the_code_and_render_retry_after()
    {
        var (code, verifier) = await AuthorizeAsync();
        _fake.FailNextTokenCallsWith(500).FailNextTokenCallsWith(TokenFailure.TooManyRequests("7"));
        using (var first = await ExchangeAsync(code, verifier)) Assert.Equal(HttpStatusCode.InternalServerError, first.StatusCode);
        using (var second = await ExchangeAsync(code, verifier))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(7), second.Headers.RetryAfter?.Delta);
        }
        var ok = await OAuthTestClient.JsonAsync(await ExchangeAsync(code, verifier), HttpStatusCode.OK);
        Assert.Equal(["http_500", "http_429", null], _fake.TokenRequests.Select(r => r.Error));

        var refresh = ok.GetProperty("refresh_token").GetString()!;
        _fake.FailNextTokenCallsWith("invalid_grant").FailNextTokenCallsWith(TokenFailure.InvalidClient);
        Assert.Equal("invalid_grant", (await OAuthTestClient.JsonAsync(await RefreshAsync(refresh), HttpStatusCode.BadRequest)).GetProperty("error").GetString());
        Assert.Equal("invalid_client", (await OAuthTestClient.JsonAsync(await RefreshAsync(refresh), HttpStatusCode.Unauthorized)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(refresh)).StatusCode);
    }

    [Fact]
    public async Task Slow_token_endpoint_is_slow_records_concurrency_and_survives_client_timeouts()
    {
        var seeded = _fake.IssueTokenFor("alice@example.com");
        _fake.Options.TokenDelay = TimeSpan.FromMilliseconds(400);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var responses = await Task.WhenAll(RefreshAsync(seeded.RefreshToken!), RefreshAsync(seeded.RefreshToken!));
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(350), started.Elapsed.ToString());
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(2, _fake.PeakConcurrentTokenRequests);

        _fake.Options.TokenDelay = TimeSpan.FromSeconds(30);
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(200) };
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => impatient.PostAsync(_fake.TokenUrl,
            new FormUrlEncodedContent([new("grant_type", "refresh_token"), new("refresh_token", seeded.RefreshToken!)])));
        await WaitUntilAsync(() => _fake.TokenRequests.Count == 3);
        Assert.Equal("client_closed_request", _fake.TokenRequests.Last().Error);
    }

    [Fact]
    public async Task Echo_api_tells_whose_token_it_is_and_refuses_expired_ones()
    {
        var alice = _fake.IssueTokenFor("alice@example.com");
        var bob = _fake.IssueTokenFor("bob@example.com", expiresIn: TimeSpan.FromMinutes(5));
        var calls = Enumerable.Range(0, 20).Select(async i =>
        {
            var token = i % 2 == 0 ? alice.AccessToken : bob.AccessToken;
            var echo = await OAuthTestClient.JsonAsync(await _client.SendAsync(HttpMethod.Post, _fake.EchoUrl, token), HttpStatusCode.OK);
            Assert.Equal(token, echo.GetProperty("token").GetString());
            Assert.Equal(_fake.AccountOf(token), echo.GetProperty("account").GetString());
        });
        await Task.WhenAll(calls);
        Assert.Equal(20, _fake.ApiRequests.Count);
        Assert.Equal(10, _fake.ApiRequests.Count(r => r.Account == "bob@example.com"));

        _time.Advance(TimeSpan.FromMinutes(6));
        using (var expired = await _client.SendAsync(HttpMethod.Get, _fake.EchoUrl, bob.AccessToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
            Assert.Contains("invalid_token", expired.Headers.WwwAuthenticate.ToString());
            Assert.Equal("invalid_token", (await OAuthTestClient.JsonAsync(expired, HttpStatusCode.Unauthorized)).GetProperty("error").GetString());
        }
        Assert.True(_fake.ExpireAccessToken(alice.AccessToken));
        using (var expiredAlice = await _client.SendAsync(HttpMethod.Get, _fake.EchoUrl, alice.AccessToken))
            Assert.Equal(HttpStatusCode.Unauthorized, expiredAlice.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(alice.RefreshToken!)).StatusCode);

        Assert.True(_fake.RevokeAtProvider(bob.RefreshToken!));
        Assert.Equal(HttpStatusCode.BadRequest, (await RefreshAsync(bob.RefreshToken!)).StatusCode);
    }

    [Fact]
    public void Settings_point_a_toolkit_at_the_fake()
    {
        var settings = _fake.SettingsFor("acme");
        Assert.Equal(_fake.AuthorizeUrl, settings["Butterbase:Toolkits:acme:AuthorizationUrl"]);
        Assert.Equal(_fake.TokenUrl, settings["Butterbase:Toolkits:acme:TokenUrl"]);
        Assert.Equal(_fake.RevocationUrl, settings["Butterbase:Toolkits:acme:RevocationUrl"]);
        Assert.Equal(_fake.UserInfoUrl, settings["Butterbase:Toolkits:acme:UserInfoUrl"]);
        Assert.Equal(_fake.ApiBaseUrl, settings["Butterbase:Toolkits:acme:ApiBaseUrl"]);
        Assert.Equal("fake-client-id", settings["Butterbase:Toolkits:acme:ClientId"]);
        Assert.Equal("fake-client-secret", settings["Butterbase:Toolkits:acme:ClientSecret"]);
        Assert.StartsWith("http://127.0.0.1:", _fake.BaseUrl);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition());
    }
}
