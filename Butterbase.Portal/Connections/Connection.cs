using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>An end user's connected account at a provider, with its encrypted credentials.</summary>
public sealed class Connection
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string UserId { get; init; }
    public required string ToolkitSlug { get; init; }
    /// <summary>active | expired | failed</summary>
    public string Status { get; set; } = ConnectionStatus.Active;
    public string AuthScheme { get; set; } = "";
    /// <summary>The provider's stable id for the account, so the same account reconnecting updates this row.</summary>
    public string? AccountId { get; set; }
    public string? AccountLabel { get; set; }
    public List<string> Scopes { get; set; } = [];
    /// <summary>Credentials JSON, Data Protection-encrypted with a purpose bound to app and connection id.</summary>
    public string Credentials { get; set; } = "";
    public DateTime? ExpiresAt { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? LastRefreshAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>Bumped on every credential write: the compare-and-swap token for refreshes.</summary>
    public int Version { get; set; }
    /// <summary>Set while one instance refreshes this connection (an atomic claim in the database): the others wait for the new version.</summary>
    public DateTime? RefreshLeaseUntil { get; set; }

    internal static void Configure(ModelBuilder model)
    {
        model.Entity<Connection>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.UserId).HasMaxLength(256);
            e.Property(x => x.ToolkitSlug).HasMaxLength(64);
            e.Property(x => x.Status).HasMaxLength(16);
            e.Property(x => x.AccountId).HasMaxLength(256);
            e.Property(x => x.AccountLabel).HasMaxLength(256);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => new { x.AppId, x.UserId, x.ToolkitSlug });
            e.HasOne<Apps.App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<ConnectionRequest>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.StateHash).HasMaxLength(64);
            e.HasIndex(x => x.StateHash).IsUnique();
            e.HasIndex(x => new { x.AppId, x.UserId, x.Status });
            e.HasIndex(x => x.ExpiresAt);
            e.HasOne<Apps.App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<ConnectionEvent>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.ConnectionId, x.At });
        });
        model.Entity<RevocationJob>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.NextAttemptAt);
        });
    }
}

public static class ConnectionStatus
{
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Failed = "failed";
}

/// <summary>
/// One attempt to connect: the OAuth state (stored hashed), the PKCE verifier (encrypted), and where the
/// user goes afterwards. Single-use and short-lived (docs/architecture.md "OAuth engine").
/// </summary>
public sealed class ConnectionRequest
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string UserId { get; init; }
    public required string ToolkitSlug { get; init; }
    public required string AuthScheme { get; init; }
    /// <summary>initiated | consuming | connected | failed | expired</summary>
    public string Status { get; set; } = ConnectionRequestStatus.Initiated;
    /// <summary>SHA-256 (hex) of the state parameter; the state itself is never stored.</summary>
    public string? StateHash { get; init; }
    public string? CodeVerifier { get; init; }
    public required string RedirectUrl { get; init; }
    /// <summary>The exact OAuth redirect_uri sent to the provider, reused byte for byte at the token endpoint.</summary>
    public string? OAuthRedirectUri { get; init; }
    /// <summary>The token endpoint fixed when the flow began (mix-up defence: never derived from the callback).</summary>
    public string? TokenUrl { get; init; }
    public List<string> Scopes { get; init; } = [];
    /// <summary>
    /// The connection fields the OAuth flow needs (Zendesk's subdomain), JSON encrypted with Data Protection (purpose bound
    /// to the request); they become the connection's fields. Null until the user or app gave them.
    /// </summary>
    public string? Fields { get; init; }
    /// <summary>Set for a reconnect: the connection to update in place; after success, the connection made.</summary>
    public string? ConnectionId { get; set; }
    public string? Error { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? CompletedAt { get; set; }
}

/// <summary>What happened to a connection: connected, refreshed, refresh failed, expired.</summary>
public sealed class ConnectionEvent
{
    public long Id { get; init; }
    public required string ConnectionId { get; init; }
    public required string Kind { get; init; }
    public string? Detail { get; init; }
    public DateTime At { get; init; }
}

/// <summary>A provider-side revocation still to do after a connection was deleted (retried with backoff).</summary>
public sealed class RevocationJob
{
    public long Id { get; init; }
    public required string AppId { get; init; }
    public required string ToolkitSlug { get; init; }
    /// <summary>The portal origin at deletion, to resolve host-relative provider URLs (the Sandbox).</summary>
    public string Origin { get; init; } = "";
    /// <summary>The credentials to revoke, encrypted; deleted as soon as the provider confirms.</summary>
    public required string Credentials { get; init; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public string? LastError { get; set; }
}
