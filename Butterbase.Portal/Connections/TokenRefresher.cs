using System.Collections.Concurrent;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Data;
using Butterbase.Portal.Telemetry;
using Butterbase.Portal.Toolkits;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>
/// Fresh credentials for a connection: refreshed ahead of expiry (a margin) or when a provider said 401,
/// at most one refresh per connection at a time in this process (a shared task per connection) and across
/// instances on one database (a lease claimed with an atomic UPDATE; the others poll for the new version),
/// saving with compare-and-swap on the version.
/// A rotated refresh token is saved before anything can use it. `invalid_grant` marks the connection expired.
/// </summary>
public sealed class TokenRefresher(
    IDbContextFactory<PortalDb> dbFactory, ToolkitCatalog catalog, ToolkitConfigs configs, OAuthProviders providers,
    OAuthClient oauth, CredentialProtector protector, ConnectionCache cache, ConnectionLifecycle lifecycle, TimeProvider clock, ILogger<TokenRefresher> logger)
{
    /// <summary>The most ahead of expiry a token is refreshed.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(2);
    /// <summary>
    /// Short-lived tokens are refreshed when this share of their life is left, not two minutes before: a provider issuing
    /// 60-second tokens would otherwise see a refresh on every execute. A quarter keeps the 2-minute margin for tokens of
    /// 8 minutes and more, leaves a 15-second token 4 s of slack for clock skew and a slow network, and bounds refreshes
    /// at one per three-quarters of a lifetime.
    /// </summary>
    public const int MarginDivisor = 4;
    /// <summary>How long a claimed refresh may take before another instance may take over (the holder died).</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan LeasePoll = TimeSpan.FromMilliseconds(50);
    private readonly ConcurrentDictionary<string, Lazy<Task<Outcome>>> _inflight = new();

    public sealed record Outcome(StoredCredentials? Credentials, string? Error, bool Expired, bool Transient);

    public bool NeedsRefresh(StoredCredentials credentials)
    {
        if (credentials.Scheme != AuthSchemes.OAuth2 || credentials.ExpiresAt is not { } expires) return false;
        var now = clock.GetUtcNow().UtcDateTime;
        // Nothing to refresh with: the token is used until it really expires (then the user must reconnect).
        if (credentials.RefreshToken is null) return expires <= now;
        return expires - MarginFor(credentials) <= now;
    }

    /// <summary>min(<see cref="Margin"/>, lifetime / <see cref="MarginDivisor"/>); the full margin when the lifetime is unknown (older rows).</summary>
    public static TimeSpan MarginFor(StoredCredentials credentials) =>
        credentials.IssuedAt is { } issued && credentials.ExpiresAt is { } expires && expires > issued
            ? TimeSpan.FromTicks(Math.Min(Margin.Ticks, (expires - issued).Ticks / MarginDivisor))
            : Margin;

    /// <summary>
    /// The credentials of version <paramref name="spentVersion"/> are no good (expired, or refused by the provider):
    /// refresh, unless someone already did since (then their newer credentials are returned).
    /// Concurrent callers for one connection share one refresh.
    /// </summary>
    public async Task<Outcome> RefreshAsync(Connection connection, int spentVersion, string origin, CancellationToken ct)
    {
        var lazy = _inflight.GetOrAdd(connection.Id, _ => new Lazy<Task<Outcome>>(() => RefreshCountedAsync(connection, spentVersion, origin)));
        try { return await lazy.Value.WaitAsync(ct); }
        finally
        {
            _inflight.TryRemove(new KeyValuePair<string, Lazy<Task<Outcome>>>(connection.Id, lazy));
            // Whatever happened (refreshed, expired, or someone else's newer row found), what the caller had is old.
            cache.Invalidate(connection.AppId, connection.UserId, connection.ToolkitSlug);
        }
    }

    /// <summary>One span and one count per refresh actually attempted (callers that share it are not counted again).</summary>
    private async Task<Outcome> RefreshCountedAsync(Connection connection, int spentVersion, string origin)
    {
        using var span = PortalTelemetry.Source.StartActivity("token refresh");
        var outcome = await RefreshCoreAsync(connection.Id, spentVersion, origin);
        var result = outcome.Credentials is not null ? "refreshed" : outcome.Expired ? "expired" : outcome.Transient ? "transient" : "failed";
        PortalTelemetry.Refreshes.Add(1, new("toolkit", connection.ToolkitSlug), new("outcome", result));
        span?.SetTag("butterbase.toolkit", connection.ToolkitSlug).SetTag("butterbase.connection_id", connection.Id).SetTag("butterbase.outcome", result);
        return outcome;
    }

    private async Task<Outcome> RefreshCoreAsync(string connectionId, int spentVersion, string origin)
    {
        // Not the caller's token: one caller giving up must not cancel the refresh others wait on.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        Connection? connection;
        StoredCredentials credentials;
        for (var polls = 0; ; polls++)
        {
            connection = await db.Connections.AsNoTracking().FirstOrDefaultAsync(c => c.Id == connectionId, ct);
            if (connection is null) return new(null, "no_connection", false, false);
            credentials = protector.Unprotect(connection.AppId, connection.Id, connection.Credentials);
            if (connection.Status == ConnectionStatus.Expired) return new(null, "connection_expired", true, false);
            // Someone refreshed after those credentials were read (another request, another instance): use theirs.
            if (connection.Version != spentVersion && !NeedsRefresh(credentials)) return new(credentials, null, false, false);
            if (credentials.RefreshToken is null)
                return await ExpireAsync(db, connection, "The provider gave no refresh token; the user must reconnect.", ct);

            // Claim the refresh in the database, on the version this decision was made on. Only one instance wins;
            // a rotating provider would answer a second refresh with invalid_grant (the first one spent the token).
            var claimedAt = clock.GetUtcNow().UtcDateTime;
            var version = connection.Version;
            var claimed = await db.Connections
                .Where(c => c.Id == connectionId && c.Version == version && (c.RefreshLeaseUntil == null || c.RefreshLeaseUntil < claimedAt))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.RefreshLeaseUntil, claimedAt + Lease), ct);
            if (claimed == 1) break;
            if (polls == 0) logger.LogDebug("Connection {Connection} is being refreshed elsewhere; waiting for its new version", connectionId);
            await Task.Delay(LeasePoll, ct); // wall time, not the clock: another instance is working in real time
        }

        var toolkit = catalog.Find(connection.ToolkitSlug);
        var config = await configs.FindAsync(connection.AppId, connection.ToolkitSlug, ct);
        var (provider, problem) = toolkit is null ? (null, "unknown toolkit") : providers.Resolve(toolkit, config, origin, credentials.Fields);
        if (provider is null) return new(null, problem, false, false);

        TokenResult result = TokenResult.Failure("temporarily_unavailable", null);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            result = await oauth.RefreshAsync(provider, credentials.RefreshToken, ct);
            if (result.Ok || result.IsPermanent) break;
            // Transient (timeout, 5xx, 429): back off and try again; the connection stays active.
            var delay = result.RetryAfter is { } ra && ra < TimeSpan.FromSeconds(5) ? ra : TimeSpan.FromMilliseconds(200 * Math.Pow(3, attempt));
            await Task.Delay(delay, clock, ct);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        if (!result.Ok)
        {
            if (result.IsPermanent && !result.IsClientError)
                return await ExpireAsync(db, connection, $"Refresh refused by the provider ({result.Error}).", ct);
            var failed = connection;
            await lifecycle.ChangeAsync(db, ConnectionChange.RefreshFailed, async () =>
            {
                await db.Connections.Where(c => c.Id == failed.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.LastError, $"refresh failed: {result.Error}").SetProperty(c => c.RefreshLeaseUntil, (DateTime?)null), ct);
                return (failed, true);
            }, result.Error, ct);
            return new(null, result.IsClientError ? "oauth_client_rejected" : "refresh_failed", false, !result.IsClientError);
        }

        var fresh = credentials with
        {
            AccessToken = result.AccessToken,
            RefreshToken = result.RefreshToken ?? credentials.RefreshToken, // no new one: keep the old (RFC 6749 §6)
            TokenType = result.TokenType ?? credentials.TokenType,
            ExpiresAt = result.ExpiresAt,
            IssuedAt = result.ExpiresAt is null ? null : now,
        };
        var blob = protector.Protect(connection.AppId, connection.Id, fresh);
        // Save before anyone can use the rotated token; retry the write, never the refresh (the old refresh token may be dead now).
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var refreshed = connection;
                // The new credentials and the "refreshed" history event commit together (ConnectionLifecycle; no webhook for a routine refresh).
                var saved = await lifecycle.ChangeAsync(db, ConnectionChange.Refreshed, async () =>
                {
                    var rows = await db.Connections.Where(c => c.Id == refreshed.Id && c.Version == refreshed.Version)
                        .ExecuteUpdateAsync(s => s
                            .SetProperty(c => c.Credentials, blob).SetProperty(c => c.ExpiresAt, fresh.ExpiresAt)
                            .SetProperty(c => c.LastRefreshAt, now).SetProperty(c => c.LastError, (string?)null)
                            .SetProperty(c => c.UpdatedAt, now).SetProperty(c => c.Version, refreshed.Version + 1)
                            .SetProperty(c => c.RefreshLeaseUntil, (DateTime?)null), ct);
                    return (refreshed, rows);
                }, fresh.ExpiresAt is { } e2 ? $"valid until {e2:u}" : null, ct);
                if (saved == 0) logger.LogWarning("Connection {Connection} changed during its refresh; keeping the newer row", connection.Id);
                break;
            }
            catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * (attempt + 1)), clock, ct);
            }
        }
        return new(fresh, null, false, false);
    }

    private async Task<Outcome> ExpireAsync(PortalDb db, Connection connection, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await lifecycle.ChangeAsync(db, ConnectionChange.Expired, async () =>
        {
            // Only the change from active: two instances finding the same dead grant report it once.
            var rows = await db.Connections.Where(c => c.Id == connection.Id && c.Status != ConnectionStatus.Expired).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, ConnectionStatus.Expired).SetProperty(c => c.LastError, reason).SetProperty(c => c.UpdatedAt, now)
                .SetProperty(c => c.RefreshLeaseUntil, (DateTime?)null), ct);
            connection.Status = ConnectionStatus.Expired;
            return (rows == 1 ? connection : null, true);
        }, reason, ct);
        return new(null, "connection_expired", true, false);
    }
}
