using Butterbase.Portal.Catalog;
using Butterbase.Portal.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>Reading and deleting connections; deletion hands provider revocation to <see cref="RevocationWorker"/>.</summary>
public sealed class ConnectionStore(
    IDbContextFactory<PortalDb> dbFactory, CredentialProtector protector, ToolkitCatalog catalog, Toolkits.ToolkitConfigs configs, OAuthProviders providers,
    ConnectionLifecycle lifecycle, TimeProvider clock)
{
    public sealed record Filter(string? UserId = null, string? Toolkit = null, string? Status = null);

    public async Task<(List<Connection> Items, int Total)> ListAsync(string appId, Filter filter, int limit, int offset, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Connections.AsNoTracking().Where(c => c.AppId == appId);
        if (filter.UserId is not null) query = query.Where(c => c.UserId == filter.UserId);
        if (filter.Toolkit is not null) query = query.Where(c => c.ToolkitSlug == filter.Toolkit);
        if (filter.Status is not null) query = query.Where(c => c.Status == filter.Status);
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(c => c.CreatedAt).ThenBy(c => c.Id).Skip(offset).Take(limit).ToListAsync(ct);
        return (items, total);
    }

    public async Task<Connection?> FindAsync(string appId, string id, string? userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Connections.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id && c.AppId == appId && (userId == null || c.UserId == userId), ct);
    }

    public async Task<List<ConnectionEvent>> EventsAsync(string connectionId, int take = 20, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ConnectionEvents.AsNoTracking().Where(e => e.ConnectionId == connectionId)
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(take).ToListAsync(ct);
    }

    public async Task<ConnectionRequest?> FindRequestAsync(string appId, string id, string? userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ConnectionRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id && r.AppId == appId && (userId == null || r.UserId == userId), ct);
    }

    /// <summary>
    /// Deletes the connection and its credentials now; the provider-side revocation (where the provider has one)
    /// is queued in the same transaction and retried until it succeeds (docs/security.md [15]).
    /// </summary>
    public async Task<bool> DeleteAsync(string appId, string id, string? userId, string origin, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var connection = await db.Connections.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id && c.AppId == appId && (userId == null || c.UserId == userId), ct);
        if (connection is null) return false;
        var toolkit = catalog.Find(connection.ToolkitSlug);
        var revoke = connection.AuthScheme == AuthSchemes.OAuth2 && toolkit is not null && connection.Credentials.Length > 0;
        // `connection.deleted` says data.revoked = true when the provider has a revocation endpoint and the revocation is
        // queued with the delete (then made at once and retried until the provider confirms, RevocationWorker): the delete
        // does not wait for the provider's answer, so it cannot report one.
        var revocable = revoke && providers.Resolve(toolkit!, await configs.FindAsync(appId, connection.ToolkitSlug, ct), origin).Provider?.RevocationUrl is not null;
        return await lifecycle.ChangeAsync(db, ConnectionChange.Deleted, async () =>
        {
            if (await db.Connections.Where(c => c.Id == connection.Id).ExecuteDeleteAsync(ct) != 1) return (null, false); // someone else deleted it
            if (revoke)
            {
                var credentials = protector.Unprotect(connection.AppId, connection.Id, connection.Credentials);
                db.RevocationJobs.Add(new RevocationJob
                {
                    AppId = connection.AppId,
                    ToolkitSlug = connection.ToolkitSlug,
                    Origin = origin,
                    Credentials = protector.For("revocation", connection.AppId).Protect(System.Text.Json.JsonSerializer.Serialize(credentials)),
                    NextAttemptAt = clock.GetUtcNow().UtcDateTime,
                });
            }
            await db.ConnectionEvents.Where(e => e.ConnectionId == id).ExecuteDeleteAsync(ct);
            return (connection, true);
        }, null, ct, revoked: revocable);
    }
}
