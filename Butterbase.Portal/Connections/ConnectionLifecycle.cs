using Butterbase.Portal.Data;
using Butterbase.Portal.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>What happened to a connection; each kind is a history event and, where an app can act on it, a webhook.</summary>
public enum ConnectionChange
{
    Created,
    Reauthorized,
    Refreshed,
    RefreshFailed,
    Expired,
    Deleted,
    ScopeInsufficient,
}

/// <summary>
/// The one place a connection's state changes (docs/architecture.md "Connection lifecycle and webhooks"). Every change —
/// created, reauthorized, refreshed, refresh failed, expired, deleted (with or without revocation at the provider),
/// scope insufficient — runs the caller's write, the history event (<see cref="ConnectionEvent"/>) and the webhook outbox
/// rows (<see cref="WebhookOutbox"/>) in ONE database transaction, then, after the commit, invalidates the connection cache
/// here and on the other instances (<see cref="ConnectionCache"/> → <see cref="CacheInvalidation"/>) and wakes the sender.
/// So an app hears of exactly the changes that were committed, and a crash after the commit still delivers.
/// <para>
/// `ConnectionStatus.Failed` is never written: a refresh failure is either transient (the connection stays active and is
/// retried, docs/security.md [14]) or the user's grant is gone (expired, fixed by reconnecting); an app's bad client
/// credentials (`invalid_client`) are the app's problem, not one connection's. The value stays readable because the API's
/// list filter accepts it (rows from older versions, if any, are skipped by execute).
/// </para>
/// </summary>
public sealed class ConnectionLifecycle(ConnectionCache cache, WebhookOutbox outbox, TimeProvider clock)
{
    /// <summary>The history kind kept for each change (the Connections page shows these).</summary>
    public static string HistoryKind(ConnectionChange change) => change switch
    {
        ConnectionChange.Created => "connected",
        ConnectionChange.Reauthorized => "reconnected",
        ConnectionChange.Refreshed => "refreshed",
        ConnectionChange.RefreshFailed => "refresh_failed",
        ConnectionChange.Expired => "expired",
        ConnectionChange.Deleted => "deleted",
        _ => "scope_insufficient",
    };

    /// <summary>The webhook event for a change, or null (a successful refresh is routine and sends nothing).</summary>
    public static string? EventType(ConnectionChange change) => change switch
    {
        ConnectionChange.Created => WebhookEvents.ConnectionCreated,
        ConnectionChange.Reauthorized => WebhookEvents.ConnectionReauthorized,
        ConnectionChange.RefreshFailed => WebhookEvents.ConnectionRefreshFailed,
        ConnectionChange.Expired => WebhookEvents.ConnectionExpired,
        ConnectionChange.Deleted => WebhookEvents.ConnectionDeleted,
        ConnectionChange.ScopeInsufficient => WebhookEvents.ConnectionScopeInsufficient,
        _ => null,
    };

    /// <summary>
    /// Runs <paramref name="write"/> (the state change itself, on <paramref name="db"/>) with the history event and the
    /// outbox rows in one transaction, commits, then invalidates caches and wakes the sender. <paramref name="write"/> answers
    /// the connection as it now is (null: nothing changed — nothing is recorded, the transaction is rolled back);
    /// <paramref name="kindAfterWrite"/> decides the change from what the write found (a reconnect of a known account).
    /// </summary>
    public async Task<T?> ChangeAsync<T>(PortalDb db, ConnectionChange change, Func<Task<(Connection? Connection, T Result)>> write,
        string? reason, CancellationToken ct, bool? revoked = null, Func<ConnectionChange>? kindAfterWrite = null)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var (connection, result) = await write();
        if (connection is null)
        {
            await transaction.RollbackAsync(ct);
            return result;
        }
        change = kindAfterWrite?.Invoke() ?? change;
        var now = clock.GetUtcNow().UtcDateTime;
        // A deleted connection's history goes with it (the row is gone); its webhook says what happened.
        if (change != ConnectionChange.Deleted)
            db.ConnectionEvents.Add(new ConnectionEvent { ConnectionId = connection.Id, Kind = HistoryKind(change), Detail = Cap(reason), At = now });
        var staged = false;
        if (EventType(change) is { } type)
            staged = await outbox.StageAsync(db, connection.AppId, type,
                new ConnectionEventData(connection.Id, connection.ToolkitSlug, connection.UserId,
                    change == ConnectionChange.Deleted ? "deleted" : connection.Status, Cap(reason), revoked), ct) is not null;
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        cache.Invalidate(connection.AppId, connection.UserId, connection.ToolkitSlug);
        if (staged) outbox.Committed();
        return result;
    }

    /// <summary>A provider answered 403 for lack of scope: history and `connection.scope_insufficient`, at most once an hour per connection.</summary>
    public async Task ScopeInsufficientAsync(IDbContextFactory<PortalDb> dbFactory, Connection connection, string reason, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var since = clock.GetUtcNow().UtcDateTime.AddHours(-1);
        var kind = HistoryKind(ConnectionChange.ScopeInsufficient);
        if (await db.ConnectionEvents.AnyAsync(e => e.ConnectionId == connection.Id && e.Kind == kind && e.At > since, ct)) return;
        await ChangeAsync(db, ConnectionChange.ScopeInsufficient, async () =>
            (await db.Connections.AsNoTracking().FirstOrDefaultAsync(c => c.Id == connection.Id, ct), true), reason, ct);
    }

    /// <summary>A connection request that ended without a connection (refused, failed exchange, cancelled): `connection_request.failed`.</summary>
    public async Task RequestFailedAsync(PortalDb db, ConnectionRequest request, string error, Func<Task<bool>> write, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!await write()) { await transaction.RollbackAsync(ct); return; }
        var staged = await outbox.StageAsync(db, request.AppId, WebhookEvents.ConnectionRequestFailed,
            new { connectionRequestId = request.Id, toolkit = request.ToolkitSlug, userId = request.UserId, status = "failed", reason = error }, ct) is not null;
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        if (staged) outbox.Committed();
    }

    private static string? Cap(string? text) => text is { Length: > 500 } ? text[..500] : text;
}
