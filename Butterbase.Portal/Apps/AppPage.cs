using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Apps;

/// <summary>
/// Base of every page under `/apps/{AppId}` (docs/security.md [31]). Loading happens only through <see cref="LoadAsync"/>, which
/// runs after <see cref="AppAccess"/> found the signed-in developer a member of the app; every change a page makes first
/// calls <see cref="AuthorizeAsync"/>, which asks the database again, so the check holds for each operation over a
/// long-lived circuit (a member removed, a role lowered, a URL or a dialog pointed at another app's id), not only at the
/// first render.
/// </summary>
public abstract class AppPage : ComponentBase
{
    [Parameter] public string AppId { get; set; } = "";
    [Inject] protected AppAccess Access { get; init; } = default!;
    [Inject] private ISnackbar Notices { get; init; } = default!;

    /// <summary>The app and the caller's role as of the last load or check; null for a non-member (nothing is loaded).</summary>
    protected AppGrant? Grant { get; private set; }

    /// <summary>Whether the caller may change things here (developer or owner), for enabling buttons; the changes check again.</summary>
    protected bool CanChange => Grant?.CanChange == true;

    protected override async Task OnParametersSetAsync()
    {
        Grant = await Access.FindAsync(AppId);
        if (Grant is not null) await LoadAsync(Grant);
    }

    /// <summary>Loads the page's data for a member. Never called for anyone else.</summary>
    protected virtual Task LoadAsync(AppGrant grant) => Task.CompletedTask;

    /// <summary>
    /// The caller's grant if they may do what they are about to, checked now; otherwise null, after saying why. Call it
    /// first in every handler that changes or reveals something.
    /// </summary>
    protected async Task<AppGrant?> AuthorizeAsync(AppRole atLeast = AppRole.Developer)
    {
        var grant = await Access.FindAsync(AppId);
        Grant = grant;
        if (grant is not null && grant.Role >= atLeast) return grant;
        Notices.Add(grant is null
            ? "You are no longer a member of this app."
            : $"Your role in this app ({AppRoles.Name(grant.Role)}) cannot do this.", Severity.Warning);
        return null;
    }
}
