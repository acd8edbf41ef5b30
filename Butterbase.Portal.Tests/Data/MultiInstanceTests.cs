using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Data;

/// <summary>
/// Two portal instances on one database (PostgreSQL when the test command provides one, else one SQLite file), as
/// behind a load balancer: everything they must agree on lives in the database, nothing in one instance's memory.
/// </summary>
public sealed class MultiInstanceTests : TwoInstancesOnOneDatabase
{
    protected override FakeProviderApi.Handler Projects => _ => (200, new { data = new[] { new { gid = "p1", name = "Launch" } } }, null);

    /// <summary>Starts the connection on <paramref name="start"/> and delivers the provider's redirect to <paramref name="callback"/>.</summary>
    private Task<string> ConnectAsync(string user, PortalApplication start, PortalApplication callback) =>
        start.ConnectThroughFakeAsync(_app, _oauth, Slug, user, callback == start ? null : callback);

    [Fact]
    public async Task A_connection_started_on_one_instance_completes_its_callback_on_the_other()
    {
        var connectionId = await ConnectAsync("roamer", _a, _b);
        using var admin = _a.Http(_app.ApiKey);
        var row = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections/{connectionId}"));
        Assert.Equal("active", row.GetProperty("status").GetString());
        Assert.Equal("roamer@example.com", row.GetProperty("account_label").GetString());
        // And either instance can use it: the credentials were encrypted with the key ring both read from the database.
        using var onA = _a.Http(_app.ApiKey);
        var result = await JsonAssert.OkAsync(await onA.PostAsync($"{Base}/execute", JsonAssert.Body(new { toolName = "ASANA_GET_PROJECTS", userId = "roamer", @params = new { } })));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
    }

    [Fact]
    public async Task Five_hundred_concurrent_executes_across_both_instances_on_an_expired_token_make_one_refresh()
    {
        var connectionId = await ConnectAsync("crowd", _a, _a);
        await ExpireAsync(connectionId);
        var refreshesBefore = _oauth.RefreshGrants;
        using var onA = _a.Http(_app.ApiKey);
        using var onB = _b.Http(_app.ApiKey);
        var body = new { toolName = "ASANA_GET_PROJECTS", userId = "crowd", @params = new { } };
        var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(async i =>
            await JsonAssert.OkAsync(await (i % 2 == 0 ? onA : onB).PostAsync($"{Base}/execute", JsonAssert.Body(body)))));

        Assert.Equal(1, _oauth.RefreshGrants - refreshesBefore);
        Assert.Equal(0, _oauth.ReusedRefreshTokenAttempts);
        Assert.All(results, r => Assert.True(r.GetProperty("successful").GetBoolean(), r.ToString()));
    }

    /// <summary>The access token dies at the provider and the stored copy says it has expired.</summary>
    private Task ExpireAsync(string connectionId) => _a.ExpireStoredTokenAsync(_oauth, _app.Id, connectionId);
}
