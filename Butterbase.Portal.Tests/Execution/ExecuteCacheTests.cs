using System.Net;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// `/execute` keeps the API key, the toolkit's state and the connection in memory. Every change a user makes
/// through this portal shows on the very next call. The caches' TTLs are set to an hour here, so only
/// invalidation can explain a fresh answer.
/// </summary>
public sealed class ExecuteCacheTests : IAsyncLifetime
{
    private const string Slug = "asana";
    private const string Tool = "ASANA_GET_PROJECTS";
    private FakeOAuthProvider _oauth = default!;
    private FakeProviderApi _api = default!;
    private PortalApplication _portal = default!;
    private TestApp _app = default!;
    private string Base => $"v1/{_app.Id}/integrations";

    public async Task InitializeAsync()
    {
        _oauth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic, o => o.RotateRefreshTokens = true);
        _api = await FakeProviderApi.StartAsync();
        _api.AcceptsToken = _oauth.IsAccessTokenActive;
        _api.On("GET", "/projects", r => (200, new { data = new[] { new { gid = "p1" } }, token = r.Headers["Authorization"][7..] }, null));
        _portal = new PortalApplication()
            .With("Butterbase:Cache:ApiKeySeconds", "3600")
            .With("Butterbase:Cache:ToolkitConfigSeconds", "3600")
            .With("Butterbase:Cache:ConnectionSeconds", "3600");
        foreach (var (key, value) in _oauth.SettingsFor(Slug)) _portal.With(key, value);
        _portal.With($"Butterbase:Toolkits:{Slug}:ApiBaseUrl", _api.BaseUrl);
        _app = await _portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = Slug })));
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _oauth.DisposeAsync();
        await _api.DisposeAsync();
    }

    private Task<string> ConnectAsync(string user) => _portal.ConnectThroughFakeAsync(_app, _oauth, Slug, user);

    private Task<HttpResponseMessage> ExecuteAsync(HttpClient client, string user) =>
        client.PostAsync($"{Base}/execute", JsonAssert.Body(new { toolName = Tool, userId = user, @params = new { } }));

    /// <summary>Executes and returns the token the provider saw.</summary>
    private async Task<string> SucceedsAsync(HttpClient client, string user)
    {
        var result = await JsonAssert.OkAsync(await ExecuteAsync(client, user));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        return result.GetProperty("data").GetProperty("token").GetString()!;
    }

    private int ProviderCallsWith(string token) => _api.Requests.Count(r => r.Headers.GetValueOrDefault("Authorization") == "Bearer " + token);

    [Fact]
    public async Task A_revoked_key_is_refused_on_the_very_next_call_and_other_keys_keep_working()
    {
        await ConnectAsync("kim");
        var keys = _portal.Services.GetRequiredService<ApiKeys>();
        var (second, secondPlaintext) = await keys.CreateAsync(_app.Id, "second");
        using var first = _portal.Http(_app.ApiKey);
        using var other = _portal.Http(secondPlaintext);
        await SucceedsAsync(first, "kim");
        await SucceedsAsync(other, "kim");

        Assert.True(await keys.RevokeAsync(_app.Id, second.Id)); // what the portal's API keys page calls

        await JsonAssert.ErrorAsync(await ExecuteAsync(other, "kim"), HttpStatusCode.Unauthorized, "unauthorized");
        await SucceedsAsync(first, "kim");
        await JsonAssert.ErrorAsync(await ExecuteAsync(other, "kim"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task One_apps_revocations_leave_every_other_apps_keys_in_memory()
    {
        // Another app's key, verified once and cached (TTL an hour here).
        var other = await _portal.CreateAppAsync("Other");
        using var otherClient = _portal.Http(other.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await otherClient.GetAsync($"v1/{other.Id}/integrations/configure")).StatusCode);
        // Its row changes behind the cache's back, so a read of the database would now refuse it: only a cache that kept
        // the key answers 200 below.
        await _portal.ExecuteSqlAsync($"UPDATE \"ApiKeys\" SET \"RevokedAt\" = '2026-01-01 00:00:00' WHERE \"Id\" = '{other.KeyId}'");

        // This app revokes a key of its own, and tries a key id that does not exist. Before, each call made every cached
        // key of every app stale, here and on every instance: any tenant could keep all of them reading the database.
        var keys = _portal.Services.GetRequiredService<ApiKeys>();
        // Partitions share 1,024 invalidation stripes: a key on the other key's stripe would make it stale by design.
        var otherStripe = Butterbase.Portal.Data.LocalCache<object>.Stripe(other.ApiKey[..14]);
        var (mine, _) = await keys.CreateAsync(_app.Id, "short-lived");
        while (Butterbase.Portal.Data.LocalCache<object>.Stripe(mine.Prefix) == otherStripe) (mine, _) = await keys.CreateAsync(_app.Id, "short-lived");
        Assert.True(await keys.RevokeAsync(_app.Id, mine.Id));
        Assert.False(await keys.RevokeAsync(_app.Id, "key_doesnotexist"));

        Assert.Equal(HttpStatusCode.OK, (await otherClient.GetAsync($"v1/{other.Id}/integrations/configure")).StatusCode);
    }

    [Fact]
    public async Task Disabling_a_toolkit_shows_on_the_next_execute_and_so_does_enabling_one()
    {
        await ConnectAsync("dee");
        using var admin = _portal.Http(_app.ApiKey);
        await SucceedsAsync(admin, "dee");

        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"{Base}/configure/{Slug}")).StatusCode);
        await JsonAssert.ErrorAsync(await ExecuteAsync(admin, "dee"), HttpStatusCode.Conflict, "toolkit_disabled");

        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = Slug })));
        await SucceedsAsync(admin, "dee");

        // A refusal is cached too, and configuring clears it.
        var jira = new { toolName = "JIRA_GET_BANNER", userId = "dee", @params = new { } };
        await JsonAssert.ErrorAsync(await admin.PostAsync($"{Base}/execute", JsonAssert.Body(jira)), HttpStatusCode.Conflict, "toolkit_not_enabled");
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "jira" })));
        await JsonAssert.ErrorAsync(await admin.PostAsync($"{Base}/execute", JsonAssert.Body(jira)), HttpStatusCode.Conflict, "no_connection");
    }

    [Fact]
    public async Task After_a_disconnect_the_next_execute_is_no_connection_and_after_a_reconnect_it_works_again()
    {
        var connection = await ConnectAsync("lee");
        using var admin = _portal.Http(_app.ApiKey);
        var token = await SucceedsAsync(admin, "lee");

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Base}/connections/{connection}")).StatusCode);
        var calls = ProviderCallsWith(token);
        await JsonAssert.ErrorAsync(await ExecuteAsync(admin, "lee"), HttpStatusCode.Conflict, "no_connection");
        Assert.Equal(calls, ProviderCallsWith(token)); // the deleted connection's token was not used

        await ConnectAsync("lee");
        var again = await SucceedsAsync(admin, "lee");
        Assert.NotEqual(token, again);
    }

    [Fact]
    public async Task After_a_refresh_the_next_execute_sends_the_new_token()
    {
        await ConnectAsync("ray");
        using var admin = _portal.Http(_app.ApiKey);
        var old = await SucceedsAsync(admin, "ray");

        _oauth.ExpireAccessToken(old); // dead at the provider, still fresh in the cached copy: 401, refresh, retry
        var refreshes = _oauth.RefreshGrants;
        var fresh = await SucceedsAsync(admin, "ray");
        Assert.NotEqual(old, fresh);
        Assert.Equal(refreshes + 1, _oauth.RefreshGrants);

        var oldCalls = ProviderCallsWith(old);
        Assert.Equal(fresh, await SucceedsAsync(admin, "ray"));
        Assert.Equal(oldCalls, ProviderCallsWith(old)); // no second 401 with the stale token
        Assert.Equal(refreshes + 1, _oauth.RefreshGrants);
        Assert.Equal(0, _oauth.ReusedRefreshTokenAttempts);
    }

    [Fact]
    public async Task A_cached_token_nearing_expiry_is_refreshed_before_it_is_sent()
    {
        // The refresh margin is min(2 min, a quarter of the token's lifetime): 2 s for an 8-second token.
        _oauth.Options.AccessTokenLifetime = TimeSpan.FromSeconds(8);
        var connected = System.Diagnostics.Stopwatch.StartNew();
        await ConnectAsync("sam");
        _oauth.Options.AccessTokenLifetime = null;
        using var admin = _portal.Http(_app.ApiKey);
        var refreshes = _oauth.RefreshGrants;
        var first = await SucceedsAsync(admin, "sam");
        var inside = TimeSpan.FromSeconds(6.5) - connected.Elapsed;
        if (inside > TimeSpan.Zero) await Task.Delay(inside); // now inside the margin; the cache entry (an hour) is not

        var second = await SucceedsAsync(admin, "sam");
        Assert.NotEqual(first, second);
        Assert.Equal(refreshes + 1, _oauth.RefreshGrants);
        Assert.Equal(second, await SucceedsAsync(admin, "sam"));
        Assert.Equal(refreshes + 1, _oauth.RefreshGrants);
    }

    [Fact]
    public async Task An_expired_connection_is_reported_on_the_next_execute_without_calling_the_provider()
    {
        var connection = await ConnectAsync("gus");
        using var admin = _portal.Http(_app.ApiKey);
        var token = await SucceedsAsync(admin, "gus");
        var row = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections/{connection}"));
        Assert.Equal("active", row.GetProperty("status").GetString());

        // The user revoked us at the provider: the next call gets 401, the forced refresh gets invalid_grant.
        _oauth.RevokeAtProvider(token);
        await JsonAssert.ErrorAsync(await ExecuteAsync(admin, "gus"), HttpStatusCode.Conflict, "connection_expired");
        Assert.Equal("expired", (await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections/{connection}"))).GetProperty("status").GetString());

        var calls = _api.Requests.Count;
        var refreshes = _oauth.TokenRequests.Count;
        await JsonAssert.ErrorAsync(await ExecuteAsync(admin, "gus"), HttpStatusCode.Conflict, "connection_expired");
        Assert.Equal(calls, _api.Requests.Count);
        Assert.Equal(refreshes, _oauth.TokenRequests.Count);
    }
}
