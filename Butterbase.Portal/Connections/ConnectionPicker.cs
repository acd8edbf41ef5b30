using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>
/// A connection chosen for one outbound call, with credentials fresh enough to send. It rides on the provider request
/// (<see cref="Key"/>) so <see cref="ConnectionRefreshHandler"/> can force one refresh on a 401 and send again, and it
/// carries back what that handler learnt: the credentials now in use, or that the grant is gone.
/// </summary>
/// <param name="SpentVersion">The row version whose token a 401 condemns (-1: these came from a refresh just now).</param>
/// <param name="RefreshFailed">The proactive refresh failed for a reason other than expiry (code: timeout | unauthorized):
/// the call reports that rather than send.</param>
public sealed class ConnectionUse(Connection connection, StoredCredentials credentials, int spentVersion, string origin, (string Code, string Message)? refreshFailed = null)
{
    public static readonly HttpRequestOptionsKey<ConnectionUse> Key = new("butterbase.connection");

    public Connection Connection { get; } = connection;
    /// <summary>What the next send uses: the chosen credentials, or those a forced refresh brought.</summary>
    public StoredCredentials Credentials { get; internal set; } = credentials;
    public int SpentVersion { get; internal set; } = spentVersion;
    public string Origin { get; } = origin;
    public (string Code, string Message)? RefreshFailed { get; } = refreshFailed;
    /// <summary>A forced refresh found the grant gone: the call answers connection_expired.</summary>
    public bool Expired { get; internal set; }
    /// <summary>A 401 already forced a refresh for this call: a second 401 is the provider's answer.</summary>
    internal bool Retried { get; set; }

    /// <summary>Only OAuth connections with a refresh token can get a new token when the provider says 401.</summary>
    internal bool CanForceRefresh => !Retried && Credentials.Scheme == AuthSchemes.OAuth2 && Credentials.RefreshToken is not null;
}

/// <summary>
/// Chooses the end user's connection for a toolkit and makes its token fresh: from <see cref="ConnectionCache"/> (credentials
/// decrypted once per cache lifetime) or one database read; several active accounts need a connection id; failed ones are
/// skipped; an expired one is reported; a token (about to be) stale is refreshed first (<see cref="TokenRefresher"/>).
/// What `/execute` (<see cref="ToolRunner"/>) and the proxy (<see cref="ProxyRunner"/>) both do before sending.
/// </summary>
public sealed class ConnectionPicker(IDbContextFactory<PortalDb> dbFactory, ConnectionCache cache, CredentialProtector protector, TokenRefresher refresher)
{
    public async Task<Step<ConnectionUse>> ChooseAsync(string appId, string userId, Toolkit toolkit, string? connectionId, string origin, CancellationToken ct)
    {
        var pick = await PickAsync(appId, userId, toolkit, connectionId, ct);
        if (pick.Failure is { } failure) return failure;
        var connection = pick.Connection!;
        var credentials = pick.Credentials!;
        if (!refresher.NeedsRefresh(credentials)) return new ConnectionUse(connection, credentials, connection.Version, origin);
        var refreshed = await refresher.RefreshAsync(connection, connection.Version, origin, ct);
        if (refreshed.Expired) return Expired(toolkit, connection);
        if (refreshed.Credentials is null)
            return new ConnectionUse(connection, credentials, connection.Version, origin, refreshed.Transient
                ? (ErrorCodes.Timeout, "The provider did not answer the token refresh; try again.")
                : (ErrorCodes.Unauthorized, "The provider refused the token refresh."));
        return new ConnectionUse(connection, refreshed.Credentials, -1, origin); // from a refresh: a 401 now is not the token's age
    }

    /// <summary>connection_expired, with the connection to reconnect.</summary>
    public static ExecuteFailure Expired(Toolkit toolkit, Connection connection) => ExecuteFailure.Of(ErrorCodes.ConnectionExpired,
        $"The {toolkit.Name} connection expired: the user must reconnect (POST /connect with connectionId {connection.Id}).");

    /// <summary>The longest connection id there is (`Connection.Id`'s column).</summary>
    public const int MaxConnectionIdLength = 40;

    private async Task<ConnectionCache.Pick> PickAsync(string appId, string userId, Toolkit toolkit, string? connectionId, CancellationToken ct)
    {
        // No connection id is longer: answered without a read, and not cached (a caller could make up any number of them).
        if (connectionId?.Length > MaxConnectionIdLength) return new(null, null, ExecuteFailure.Of(ErrorCodes.ConnectionNotFound, "No such connection for this user and toolkit."));
        if (cache.TryGet(appId, userId, toolkit.Slug, connectionId, out var cached)) return cached;
        var version = cache.Version(appId, userId, toolkit.Slug);
        List<Connection> candidates;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            candidates = await db.Connections.AsNoTracking()
                .Where(c => c.AppId == appId && c.UserId == userId && c.ToolkitSlug == toolkit.Slug
                    && (connectionId == null || c.Id == connectionId))
                .OrderByDescending(c => c.UpdatedAt).Take(5).ToListAsync(ct);
        ConnectionCache.Pick pick;
        if (candidates.Count == 0)
            pick = new(null, null, connectionId is null
                ? ExecuteFailure.Of(ErrorCodes.NoConnection, $"User '{userId}' has not connected {toolkit.Name}: start with POST /connect {{\"toolkit\":\"{toolkit.Slug}\"}}.")
                : ExecuteFailure.Of(ErrorCodes.ConnectionNotFound, "No such connection for this user and toolkit."));
        else
        {
            var usable = candidates.Where(c => c.Status != ConnectionStatus.Failed).ToList();
            if (connectionId is null && usable.Count(c => c.Status == ConnectionStatus.Active) > 1)
                pick = new(null, null, ExecuteFailure.Of(ErrorCodes.ConnectionAmbiguous,
                    $"User '{userId}' has several {toolkit.Name} accounts: pass connectionId (GET /connections lists them)."));
            else
            {
                var connection = usable.FirstOrDefault(c => c.Status == ConnectionStatus.Active) ?? usable.FirstOrDefault() ?? candidates[0];
                pick = connection.Status != ConnectionStatus.Active
                    ? new(connection, null, ExecuteFailure.Of(ErrorCodes.ConnectionExpired,
                        $"The {toolkit.Name} connection expired: reconnect it with POST /connect {{\"toolkit\":\"{toolkit.Slug}\",\"connectionId\":\"{connection.Id}\"}}."))
                    : new(connection, protector.Unprotect(connection.AppId, connection.Id, connection.Credentials), null);
            }
        }
        cache.Set(appId, userId, toolkit.Slug, connectionId, version, pick);
        return pick;
    }
}
