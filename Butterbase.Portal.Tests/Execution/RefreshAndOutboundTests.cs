using System.Net;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>docs/security.md [11]–[14] (refresh), [16]–[18] (outbound policy), with a generated toolkit (Asana) against stand-ins.</summary>
public sealed class RefreshAndOutboundTests : IAsyncLifetime
{
    private const string Slug = "asana";
    private FakeOAuthProvider _oauth = default!;
    private FakeProviderApi _api = default!;
    private FakeProviderApi _attacker = default!;
    private PortalApplication _portal = default!;
    private TestApp _app = default!;
    private string Base => $"v1/{_app.Id}/integrations";
    private int _getProjectsCalls;
    private int _busyCalls;

    public async Task InitializeAsync()
    {
        _oauth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic, o => o.RotateRefreshTokens = true);
        _api = await FakeProviderApi.StartAsync();
        _attacker = await FakeProviderApi.StartAsync();
        _api.AcceptsToken = _oauth.IsAccessTokenActive;
        _api.On("GET", "/projects", r =>
        {
            Interlocked.Increment(ref _getProjectsCalls);
            var token = r.Headers["Authorization"][7..];
            return (200, new { data = new[] { new { gid = "p1", name = "Launch" } }, account = _oauth.AccountOf(token), token }, null);
        });
        _api.On("POST", "/projects", _ => (500, new { errors = new[] { new { message = "Server error" } } }, null));
        _api.On("GET", "/goals/g1", _ => (200, new { data = new { gid = "g1" } }, null));
        _api.On("GET", "/goals/busy", _ => Interlocked.Increment(ref _busyCalls) == 1
            ? (429, new { errors = new[] { new { message = "Too many requests" } } }, new Dictionary<string, string> { ["Retry-After"] = "1" })
            : (200, new { data = new { gid = "busy" } }, null));
        _api.On("GET", "/goals/limited", _ => (403, new { error = new { code = 403, errors = new[] { new { reason = "userRateLimitExceeded" } } } }, null));
        _api.On("GET", "/goals/forbidden", _ => (403, new { errors = new[] { new { message = "Not authorized" } } }, null));
        _portal = new PortalApplication().With("Butterbase:RateLimit:PermitsPerApp", "100000");
        foreach (var (key, value) in _oauth.SettingsFor(Slug)) _portal.With(key, value);
        _portal.With($"Butterbase:Toolkits:{Slug}:ApiBaseUrl", _api.BaseUrl);
        _app = await _portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = Slug })));
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        foreach (var d in new IAsyncDisposable[] { _oauth, _api, _attacker }) await d.DisposeAsync();
    }

    private Task<string> ConnectAsync(string user) => _portal.ConnectThroughFakeAsync(_app, _oauth, Slug, user);

    private Task<StoredCredentials> CredentialsAsync(string connectionId) => _portal.StoredCredentialsAsync(_app.Id, connectionId);

    /// <summary>The access token dies at the provider and our copy says it has expired.</summary>
    private Task ExpireAsync(string connectionId) => _portal.ExpireStoredTokenAsync(_oauth, _app.Id, connectionId);

    private Task<HttpResponseMessage> ExecuteAsync(HttpClient client, string user, string tool, object? parameters = null) =>
        client.PostAsync($"{Base}/execute", JsonAssert.Body(new { toolName = tool, userId = user, @params = parameters ?? new { } }));

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(500)]
    public async Task Concurrent_executes_on_an_expired_token_make_exactly_one_refresh_and_all_succeed(int n)
    {
        var user = $"crowd{n}";
        var connection = await ConnectAsync(user);
        await ExpireAsync(connection);
        var refreshesBefore = _oauth.RefreshGrants;
        using var admin = _portal.Http(_app.ApiKey);
        var results = await Task.WhenAll(Enumerable.Range(0, n).Select(async _ => await JsonAssert.OkAsync(await ExecuteAsync(admin, user, "ASANA_GET_PROJECTS"))));
        Assert.Equal(1, _oauth.RefreshGrants - refreshesBefore);
        Assert.All(results, r => Assert.True(r.GetProperty("successful").GetBoolean(), r.ToString()));
        Assert.Equal(0, _oauth.ReusedRefreshTokenAttempts);
    }

    [Fact]
    public async Task A_slow_token_endpoint_never_lets_a_second_refresh_start()
    {
        var connection = await ConnectAsync("patient");
        await ExpireAsync(connection);
        _oauth.Options.TokenDelay = TimeSpan.FromSeconds(5);
        try
        {
            var before = _oauth.RefreshGrants;
            using var admin = _portal.Http(_app.ApiKey);
            var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ => await JsonAssert.OkAsync(await ExecuteAsync(admin, "patient", "ASANA_GET_PROJECTS"))));
            Assert.All(results, r => Assert.True(r.GetProperty("successful").GetBoolean()));
            Assert.Equal(1, _oauth.RefreshGrants - before);
            Assert.Equal(1, _oauth.PeakConcurrentTokenRequests);
        }
        finally { _oauth.Options.TokenDelay = TimeSpan.Zero; }
    }

    [Fact]
    public async Task A_rotated_refresh_token_is_saved_and_the_old_one_is_never_used_again()
    {
        var connection = await ConnectAsync("rotator");
        for (var round = 0; round < 3; round++)
        {
            var before = await CredentialsAsync(connection);
            await ExpireAsync(connection);
            using var admin = _portal.Http(_app.ApiKey);
            Assert.True((await JsonAssert.OkAsync(await ExecuteAsync(admin, "rotator", "ASANA_GET_PROJECTS"))).GetProperty("successful").GetBoolean());
            var after = await CredentialsAsync(connection);
            Assert.NotEqual(before.RefreshToken, after.RefreshToken);
            Assert.False(_oauth.IsRefreshTokenActive(before.RefreshToken!));
            Assert.True(_oauth.IsRefreshTokenActive(after.RefreshToken!));
        }
        Assert.Equal(0, _oauth.ReusedRefreshTokenAttempts);
    }

    [Fact]
    public async Task A_provider_401_forces_one_refresh_and_one_retry()
    {
        var connection = await ConnectAsync("revoked-early");
        _oauth.ExpireAccessToken((await CredentialsAsync(connection)).AccessToken!); // dead at the provider, fresh for us
        var before = _oauth.RefreshGrants;
        using var admin = _portal.Http(_app.ApiKey);
        var result = await JsonAssert.OkAsync(await ExecuteAsync(admin, "revoked-early", "ASANA_GET_PROJECTS"));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        Assert.Equal(1, _oauth.RefreshGrants - before);
    }

    [Fact]
    public async Task Invalid_grant_expires_the_connection_and_execute_says_reconnect_without_retrying()
    {
        var connection = await ConnectAsync("gone");
        _oauth.RevokeAtProvider((await CredentialsAsync(connection)).RefreshToken!);
        await ExpireAsync(connection);
        using var admin = _portal.Http(_app.ApiKey);
        var body = await JsonAssert.ErrorAsync(await ExecuteAsync(admin, "gone", "ASANA_GET_PROJECTS"), HttpStatusCode.Conflict, "connection_expired");
        Assert.Contains("connectionId", body.GetProperty("message").GetString());
        var row = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections/{connection}"));
        Assert.Equal("expired", row.GetProperty("status").GetString());
        var refreshes = _oauth.RefreshGrants;
        await JsonAssert.ErrorAsync(await ExecuteAsync(admin, "gone", "ASANA_GET_PROJECTS"), HttpStatusCode.Conflict, "connection_expired");
        Assert.Equal(refreshes, _oauth.RefreshGrants);
    }

    [Fact]
    public async Task A_failing_token_endpoint_keeps_the_connection_active_and_retries_with_backoff()
    {
        var connection = await ConnectAsync("flaky");
        await ExpireAsync(connection);
        _oauth.FailNextTokenCallsWith(503, times: 2);
        var before = _oauth.TokenRequests.Count;
        using var admin = _portal.Http(_app.ApiKey);
        var result = await JsonAssert.OkAsync(await ExecuteAsync(admin, "flaky", "ASANA_GET_PROJECTS"));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        Assert.Equal(3, _oauth.TokenRequests.Count - before); // two 503s, then success
        Assert.Equal("active", (await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections/{connection}"))).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("@evil.example")]
    [InlineData("..%2f..%2fadmin")]
    [InlineData("../../admin")]
    [InlineData("http://evil.example/steal")]
    [InlineData("..")]
    public async Task Path_parameters_cannot_leave_the_providers_api(string payload)
    {
        await ConnectAsync("ssrf");
        var before = _api.Requests.Count;
        using var admin = _portal.Http(_app.ApiKey);
        var response = await ExecuteAsync(admin, "ssrf", "ASANA_GET_GOAL", new { goal_gid = payload.Replace("evil.example", new Uri(_attacker.BaseUrl).Authority) });
        await JsonAssert.ErrorAsync(response, HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, _api.Requests.Count);
        Assert.Empty(_attacker.Requests);
    }

    [Fact]
    public async Task Caller_headers_are_not_forwarded_and_users_never_get_each_others_tokens()
    {
        await ConnectAsync("ann");
        await ConnectAsync("ben");
        using var admin = _portal.Http(_app.ApiKey);
        admin.DefaultRequestHeaders.Add("Cookie", "session=caller-cookie");
        admin.DefaultRequestHeaders.Add("X-Forwarded-Host", "evil.example");
        // W3C trace context from the caller would otherwise flow to the provider through the outbound client's tracing.
        admin.DefaultRequestHeaders.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        admin.DefaultRequestHeaders.Add("tracestate", "caller=secret-ish");
        admin.DefaultRequestHeaders.Add("baggage", "userId=caller-controlled");
        var calls = Enumerable.Range(0, 40).Select(async i =>
        {
            var user = i % 2 == 0 ? "ann" : "ben";
            var result = await JsonAssert.OkAsync(await ExecuteAsync(admin, user, "ASANA_GET_PROJECTS"));
            Assert.Equal(user + "@example.com", result.GetProperty("data").GetProperty("account").GetString());
        });
        await Task.WhenAll(calls);
        Assert.All(_api.Requests, r =>
        {
            Assert.False(r.Headers.ContainsKey("Cookie"));
            Assert.False(r.Headers.ContainsKey("X-Forwarded-Host"));
            Assert.False(r.Headers.ContainsKey("traceparent"), "traceparent reached the provider");
            Assert.False(r.Headers.ContainsKey("tracestate"));
            Assert.False(r.Headers.ContainsKey("baggage"));
            Assert.DoesNotContain(_app.ApiKey, r.Headers["Authorization"]);
        });
    }

    [Fact]
    public async Task A_post_that_fails_is_not_retried_and_comes_back_as_a_failed_result()
    {
        await ConnectAsync("poster");
        var before = _api.Requests.Count(r => r.Method == "POST");
        using var admin = _portal.Http(_app.ApiKey);
        var result = await JsonAssert.OkAsync(await ExecuteAsync(admin, "poster", "ASANA_CREATE_PROJECT", new { data = new { name = "x" } }));
        Assert.False(result.GetProperty("successful").GetBoolean());
        var error = result.GetProperty("error");
        Assert.Equal("upstream_error", error.GetProperty("code").GetString());
        Assert.Equal(500, error.GetProperty("upstreamStatus").GetInt32());
        Assert.True(error.GetProperty("retryable").GetBoolean());
        Assert.Equal(1, _api.Requests.Count(r => r.Method == "POST") - before);
    }

    [Fact]
    public async Task A_403_that_is_a_rate_limit_reads_as_rate_limited_and_a_real_403_as_insufficient_scope()
    {
        await ConnectAsync("limited");
        using var admin = _portal.Http(_app.ApiKey);
        var limited = await JsonAssert.OkAsync(await ExecuteAsync(admin, "limited", "ASANA_GET_GOAL", new { goal_gid = "limited" }));
        Assert.Equal("rate_limited", limited.GetProperty("error").GetProperty("code").GetString());
        Assert.True(limited.GetProperty("error").GetProperty("retryable").GetBoolean());
        var forbidden = await JsonAssert.OkAsync(await ExecuteAsync(admin, "limited", "ASANA_GET_GOAL", new { goal_gid = "forbidden" }));
        Assert.Equal("insufficient_scope", forbidden.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_get_answered_429_with_retry_after_is_retried_after_the_wait_and_succeeds()
    {
        await ConnectAsync("waiter");
        using var admin = _portal.Http(_app.ApiKey);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = await JsonAssert.OkAsync(await ExecuteAsync(admin, "waiter", "ASANA_GET_GOAL", new { goal_gid = "busy" }));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        Assert.Equal(2, _busyCalls);
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(0.9), $"retried after {started.Elapsed}, before Retry-After");
    }
}
