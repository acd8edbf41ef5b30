using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>
/// The connection cache holds every tenant's decrypted credentials; answers without a connection are what any caller can
/// make up (a new user id per call). A flood of those must not push the real ones out.
/// </summary>
public sealed class ConnectionCacheTests
{
    private static ConnectionCache.Pick Real(string appId) => new(
        new Connection { Id = "cn_real", AppId = appId, UserId = "bea", ToolkitSlug = "asana" },
        new StoredCredentials { AccessToken = "at_bea" }, null);

    private static readonly ConnectionCache.Pick NoConnection = new(null, null, ExecuteFailure.Of(Butterbase.Portal.Api.ErrorCodes.NoConnection, "no"));

    [Fact]
    public void Made_up_users_of_one_app_never_push_another_apps_credentials_out()
    {
        var cache = new ConnectionCache(TimeProvider.System, Options.Create(new CacheOptions { ConnectionSeconds = 3600 }));
        cache.Set("app_b", "bea", "asana", null, cache.Version("app_b", "bea", "asana"), Real("app_b"));

        // App A sprays 60,000 user ids that never connected (more than the whole cache holds: 50,000 entries).
        for (var i = 0; i < 60_000; i++)
            cache.Set("app_a", $"nobody_{i}", "asana", null, cache.Version("app_a", $"nobody_{i}", "asana"), NoConnection);

        Assert.True(cache.TryGet("app_b", "bea", "asana", null, out var pick));
        Assert.Equal("at_bea", pick.Credentials!.AccessToken);
        // The misses are still cached (the newest of them): a caller polling for a user who has not connected costs no read.
        Assert.True(cache.TryGet("app_a", "nobody_59999", "asana", null, out var miss));
        Assert.Equal("no_connection", miss.Failure!.Code);
    }

    [Fact]
    public void A_write_to_a_users_connections_makes_a_cached_miss_stale_too()
    {
        var cache = new ConnectionCache(TimeProvider.System, Options.Create(new CacheOptions { ConnectionSeconds = 3600 }));
        cache.Set("app_a", "ada", "asana", null, cache.Version("app_a", "ada", "asana"), NoConnection);
        Assert.True(cache.TryGet("app_a", "ada", "asana", null, out _));
        cache.Invalidate("app_a", "ada", "asana"); // ada connects
        Assert.False(cache.TryGet("app_a", "ada", "asana", null, out _));
    }
}
