using Butterbase.Portal.Data;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Connections;

/// <summary>
/// What `/execute` found for an end user's toolkit (app, user, toolkit, optional connection id): the connection
/// it would use with its decrypted credentials, or why there is none. Every write to a connection in this process
/// (connect or reconnect, refresh, expiry, delete) invalidates the user's toolkit at once, after its commit, and on the
/// other instances within a second (<see cref="CacheInvalidation"/>; the partition key is app, toolkit and user ids).
/// Were that message lost, another instance's write shows within `Butterbase:Cache:ConnectionSeconds` (15 s by default); a token it
/// refreshed meanwhile is still found, because a 401 on our older token forces the refresh path, which re-reads
/// the row and compares versions (<see cref="TokenRefresher"/>). Expiry is judged on every call from the cached
/// credentials' own expiry, so the proactive refresh is unchanged.
/// </summary>
public sealed class ConnectionCache(TimeProvider clock, IOptions<CacheOptions> cache, CacheInvalidation? invalidation = null)
{
    /// <param name="Failure">null, or why there is no connection to use (no_connection | connection_not_found |
    /// connection_ambiguous | connection_expired, <see cref="ConnectionPicker"/>).</param>
    public sealed record Pick(Connection? Connection, StoredCredentials? Credentials, Execution.ExecuteFailure? Failure);

    private readonly LocalCache<Pick> _picks = new(clock, TimeSpan.FromSeconds(cache.Value.ConnectionSeconds), invalidation, "connection");

    public bool TryGet(string appId, string userId, string toolkitSlug, string? connectionId, out Pick pick) =>
        _picks.TryGet(Key(appId, userId, toolkitSlug, connectionId), out pick);

    /// <summary>Take before the database read, and hand to <see cref="Set"/>.</summary>
    public long Version(string appId, string userId, string toolkitSlug) => _picks.Version(Partition(appId, userId, toolkitSlug));

    public void Set(string appId, string userId, string toolkitSlug, string? connectionId, long version, Pick pick) =>
        _picks.Set(Key(appId, userId, toolkitSlug, connectionId), Partition(appId, userId, toolkitSlug), version, pick);

    /// <summary>After any committed write to a connection of this user and toolkit.</summary>
    public void Invalidate(string appId, string userId, string toolkitSlug) => _picks.Invalidate(Partition(appId, userId, toolkitSlug));

    private static string Partition(string appId, string userId, string toolkitSlug) => $"{appId}\n{toolkitSlug}\n{userId}";

    private static string Key(string appId, string userId, string toolkitSlug, string? connectionId) =>
        $"{appId}\n{toolkitSlug}\n{userId}\n{connectionId}";
}
