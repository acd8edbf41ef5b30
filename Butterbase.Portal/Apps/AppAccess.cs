using Butterbase.Portal.Accounts;
using Butterbase.Portal.Data;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Apps;

/// <summary>What a member may do in an app; each role includes the ones below it.</summary>
public enum AppRole
{
    /// <summary>Sees the app's pages; sees no secret and changes nothing.</summary>
    Viewer = 1,
    /// <summary>Changes toolkits, keys, settings, connections and functions; runs tools.</summary>
    Developer = 2,
    /// <summary>Also invites and removes members.</summary>
    Owner = 3,
}

public static class AppRoles
{
    public static AppRole? Parse(string? role) => role switch
    {
        "owner" => AppRole.Owner,
        "developer" => AppRole.Developer,
        "viewer" => AppRole.Viewer,
        _ => null,
    };

    public static string Name(AppRole role) => role switch
    {
        AppRole.Owner => "owner",
        AppRole.Developer => "developer",
        _ => "viewer",
    };
}

/// <summary>The app as the signed-in developer may use it right now.</summary>
public sealed record AppGrant(App App, AppRole Role, string DeveloperId)
{
    public bool CanChange => Role >= AppRole.Developer;
    public bool CanManageMembers => Role >= AppRole.Owner;
}

/// <summary>
/// The one server-side answer to "may the signed-in developer do this to this app?" for the portal (docs/security.md [31]).
/// Scoped to the circuit, and asked afresh on every load and every change, never cached: a member removed while their
/// browser tab stays open is refused at their next click, and a URL or dialog for another app's id finds nothing.
/// </summary>
public sealed class AppAccess(IDbContextFactory<PortalDb> dbFactory, AuthenticationStateProvider authentication)
{
    /// <summary>The app and the caller's role in it, or null when the caller is not signed in or not a member (as if it did not exist).</summary>
    public async Task<AppGrant?> FindAsync(string? appId, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(appId)) return null;
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        if (user.Identity?.IsAuthenticated != true || user.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier) is null) return null;
        var developerId = user.DeveloperId();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.AppMembers.AsNoTracking()
            .Where(m => m.AppId == appId && m.DeveloperId == developerId)
            .Join(db.Apps.AsNoTracking(), m => m.AppId, a => a.Id, (m, a) => new { App = a, m.Role })
            .FirstOrDefaultAsync(ct);
        return row is not null && AppRoles.Parse(row.Role) is { } role ? new AppGrant(row.App, role, developerId) : null;
    }

    /// <summary>The grant when the caller holds at least <paramref name="atLeast"/> in the app; otherwise null.</summary>
    public async Task<AppGrant?> RequireAsync(string? appId, AppRole atLeast, CancellationToken ct = default) =>
        await FindAsync(appId, ct) is { } grant && grant.Role >= atLeast ? grant : null;
}
