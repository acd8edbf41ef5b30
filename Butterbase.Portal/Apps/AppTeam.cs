using System.Security.Cryptography;
using System.Text;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Apps;

/// <summary>An invitation to join an app with a role: a link whose token is kept only as a SHA-256 hash, single-use, expiring.</summary>
public sealed class AppInvite
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string Role { get; init; }
    public required byte[] TokenHash { get; init; }
    public required string CreatedBy { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? AcceptedAt { get; set; }
    public string? AcceptedBy { get; set; }
    public DateTime? RevokedAt { get; set; }
}

/// <summary>One line of an app's audit trail: who changed what (toolkit settings, keys, members, settings, connections).</summary>
public sealed class AppActivity
{
    public long Id { get; init; }
    public required string AppId { get; init; }
    /// <summary>The developer who did it, kept as id and email so the line still reads after they leave.</summary>
    public required string DeveloperId { get; init; }
    public required string DeveloperEmail { get; init; }
    /// <summary>A stable code: `toolkit.configured`, `key.created`, `member.removed`…</summary>
    public required string Action { get; init; }
    /// <summary>What it was done to, in words; never a secret value.</summary>
    public required string Target { get; init; }
    public DateTime At { get; init; }

    internal static void Configure(Microsoft.EntityFrameworkCore.ModelBuilder model)
    {
        model.Entity<AppActivity>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.AppId).HasMaxLength(40);
            e.Property(x => x.DeveloperId).HasMaxLength(40);
            e.Property(x => x.DeveloperEmail).HasMaxLength(256);
            e.Property(x => x.Action).HasMaxLength(60);
            e.Property(x => x.Target).HasMaxLength(300);
            e.HasIndex(x => new { x.AppId, x.At });
            e.HasOne<App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<AppInvite>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.AppId).HasMaxLength(40);
            e.Property(x => x.Role).HasMaxLength(20);
            e.Property(x => x.CreatedBy).HasMaxLength(40);
            e.Property(x => x.AcceptedBy).HasMaxLength(40);
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.HasIndex(x => x.AppId);
            e.HasOne<App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}

/// <summary>
/// An app's members, invitations and audit trail. Every change takes the caller's <see cref="AppGrant"/>, fetched by
/// <see cref="AppAccess"/> for this very operation, and checks the role itself: a page that forgot to would still be refused.
/// </summary>
public sealed class AppTeam(IDbContextFactory<PortalDb> dbFactory, TimeProvider clock)
{
    public static readonly TimeSpan InviteLifetime = TimeSpan.FromDays(7);

    public sealed record Member(string DeveloperId, string Email, AppRole Role, DateTime Since);

    public enum Outcome { Done, Forbidden, NotFound, LastOwner, InvalidRole }

    public async Task<List<Member>> MembersAsync(string appId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.AppMembers.AsNoTracking().Where(m => m.AppId == appId)
            .Join(db.Developers.AsNoTracking(), m => m.DeveloperId, d => d.Id, (m, d) => new { m.DeveloperId, d.Email, m.Role, m.CreatedAt })
            .ToListAsync(ct);
        return rows.Select(r => new Member(r.DeveloperId, r.Email, AppRoles.Parse(r.Role) ?? AppRole.Viewer, r.CreatedAt))
            .OrderByDescending(m => m.Role).ThenBy(m => m.Email, StringComparer.OrdinalIgnoreCase).ToList();
    }

    public async Task<List<AppInvite>> PendingInvitesAsync(string appId, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AppInvites.AsNoTracking()
            .Where(i => i.AppId == appId && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now)
            .OrderByDescending(i => i.CreatedAt).ToListAsync(ct);
    }

    /// <summary>A new invite link's token (shown once), or null when the caller may not invite.</summary>
    public async Task<(AppInvite Invite, string Token)?> InviteAsync(AppGrant caller, AppRole role, CancellationToken ct = default)
    {
        if (!caller.CanManageMembers) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        var token = Ids.Secret(43);
        var invite = new AppInvite
        {
            Id = Ids.New("inv_"), AppId = caller.App.Id, Role = AppRoles.Name(role), TokenHash = Hash(token),
            CreatedBy = caller.DeveloperId, CreatedAt = now, ExpiresAt = now + InviteLifetime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.AppInvites.Add(invite);
        db.AppActivities.Add(await ActivityAsync(db, caller, "member.invited", $"invite link as {invite.Role}", ct));
        await db.SaveChangesAsync(ct);
        return (invite, token);
    }

    public async Task<Outcome> RevokeInviteAsync(AppGrant caller, string inviteId, CancellationToken ct = default)
    {
        if (!caller.CanManageMembers) return Outcome.Forbidden;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var invite = await db.AppInvites.FirstOrDefaultAsync(i => i.Id == inviteId && i.AppId == caller.App.Id && i.AcceptedAt == null && i.RevokedAt == null, ct);
        if (invite is null) return Outcome.NotFound;
        invite.RevokedAt = clock.GetUtcNow().UtcDateTime;
        db.AppActivities.Add(await ActivityAsync(db, caller, "member.invite_revoked", $"invite link as {invite.Role}", ct));
        await db.SaveChangesAsync(ct);
        return Outcome.Done;
    }

    /// <summary>The invite a link's token names while it can still be used; null otherwise (unknown, used, revoked, expired).</summary>
    public async Task<(AppInvite Invite, string AppName)?> FindInviteAsync(string? token, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100) return null;
        var hash = Hash(token);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AppInvites.AsNoTracking()
            .Where(i => i.TokenHash == hash && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now)
            .Join(db.Apps.AsNoTracking(), i => i.AppId, a => a.Id, (i, a) => new { Invite = i, a.Name })
            .FirstOrDefaultAsync(ct);
        return row is null ? null : (row.Invite, row.Name);
    }

    /// <summary>
    /// Joins the developer to the invite's app. The invite is consumed by one conditional UPDATE, so two people racing with
    /// one link cannot both join. Someone already a member keeps their role. The app id, or null when the link is no good.
    /// </summary>
    public async Task<string?> AcceptAsync(string token, string developerId, string developerEmail, CancellationToken ct = default)
    {
        if (await FindInviteAsync(token, ct) is not { } found) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var claimed = await db.AppInvites
            .Where(i => i.Id == found.Invite.Id && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.AcceptedAt, now).SetProperty(i => i.AcceptedBy, developerId), ct);
        if (claimed != 1) return null;
        var appId = found.Invite.AppId;
        if (!await db.AppMembers.AnyAsync(m => m.AppId == appId && m.DeveloperId == developerId, ct))
        {
            db.AppMembers.Add(new AppMember { AppId = appId, DeveloperId = developerId, Role = found.Invite.Role, CreatedAt = now });
            db.AppActivities.Add(new AppActivity
            {
                AppId = appId, DeveloperId = developerId, DeveloperEmail = developerEmail, Action = "member.joined",
                Target = $"{developerEmail} as {found.Invite.Role}", At = now,
            });
            await db.SaveChangesAsync(ct);
        }
        return appId;
    }

    /// <summary>Removes a member (an owner may remove anyone; a member may remove itself), never the last owner.</summary>
    public async Task<Outcome> RemoveAsync(AppGrant caller, string developerId, CancellationToken ct = default)
    {
        if (!caller.CanManageMembers && developerId != caller.DeveloperId) return Outcome.Forbidden;
        // Serializable: two owners removing each other at once must not both see "another owner is left". The loser of
        // such a race is retried and then sees the truth.
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
            try
            {
                var member = await db.AppMembers.FirstOrDefaultAsync(m => m.AppId == caller.App.Id && m.DeveloperId == developerId, ct);
                if (member is null) return Outcome.NotFound;
                if (member.Role == "owner" && await db.AppMembers.CountAsync(m => m.AppId == caller.App.Id && m.Role == "owner", ct) <= 1)
                    return Outcome.LastOwner;
                var email = await db.Developers.Where(d => d.Id == developerId).Select(d => d.Email).FirstOrDefaultAsync(ct) ?? developerId;
                db.AppMembers.Remove(member);
                db.AppActivities.Add(await ActivityAsync(db, caller, "member.removed", $"{email} ({member.Role})", ct));
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
                return Outcome.Done;
            }
            catch (Exception e) when (attempt < 5 && e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException
                                      && (e.InnerException ?? e) is Npgsql.PostgresException { SqlState: "40001" or "40P01" })
            {
                // serialization failure: try again on fresh data
            }
        }
    }

    /// <summary>Appends to the app's audit trail on behalf of the caller.</summary>
    public async Task RecordAsync(AppGrant caller, string action, string target, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.AppActivities.Add(await ActivityAsync(db, caller, action, target, ct));
        await db.SaveChangesAsync(ct);
    }

    public async Task<List<AppActivity>> ActivityAsync(string appId, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.AppActivities.AsNoTracking().Where(a => a.AppId == appId)
            .OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(take).ToListAsync(ct);
    }

    private async Task<AppActivity> ActivityAsync(PortalDb db, AppGrant caller, string action, string target, CancellationToken ct)
    {
        var email = await db.Developers.Where(d => d.Id == caller.DeveloperId).Select(d => d.Email).FirstOrDefaultAsync(ct) ?? caller.DeveloperId;
        return new AppActivity
        {
            AppId = caller.App.Id, DeveloperId = caller.DeveloperId, DeveloperEmail = email, Action = action,
            Target = target.Length > 300 ? target[..300] : target, At = clock.GetUtcNow().UtcDateTime,
        };
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
