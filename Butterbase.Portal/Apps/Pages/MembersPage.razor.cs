using Butterbase.Portal.Accounts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Apps.Pages;

public sealed partial class MembersPage
{
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required Microsoft.Extensions.Options.IOptions<AccountOptions> AccountOptions { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required Butterbase.Portal.Outbound.PublicOrigin PublicOrigin { get; init; }

    private List<AppTeam.Member>? _members;
    private List<AppInvite>? _invites;
    private readonly InviteForm _invite = new();
    private string? _link;
    private bool _busy;

    private sealed class InviteForm { public AppRole Role { get; set; } = AppRole.Developer; }

    protected override async Task LoadAsync(AppGrant grant)
    {
        _members = await Team.MembersAsync(grant.App.Id);
        _invites = grant.CanManageMembers ? await Team.PendingInvitesAsync(grant.App.Id) : null;
    }

    private async Task InviteAsync()
    {
        if (await AuthorizeAsync(AppRole.Owner) is not { } grant) return;
        _busy = true;
        try
        {
            if (await Team.InviteAsync(grant, _invite.Role) is not { } created) return;
            _link = $"{PublicOrigin.Value}/invite/{created.Token}";
            await LoadAsync(grant);
        }
        finally { _busy = false; }
    }

    private async Task RevokeInviteAsync(AppInvite invite)
    {
        if (await AuthorizeAsync(AppRole.Owner) is not { } grant) return;
        if (await Team.RevokeInviteAsync(grant, invite.Id) == AppTeam.Outcome.Done) Snackbar.Add("Invite link revoked.", Severity.Success);
        await LoadAsync(grant);
    }

    private async Task RemoveAsync(AppTeam.Member member)
    {
        if (await AuthorizeAsync(AppRole.Owner) is null) return;
        var confirmed = await Dialogs.ShowMessageBoxAsync("Remove this member?",
            $"{member.Email} will lose access to this app at once, including any page they have open.", yesText: "Remove", cancelText: "Cancel");
        if (confirmed != true || await AuthorizeAsync(AppRole.Owner) is not { } grant) return;
        switch (await Team.RemoveAsync(grant, member.DeveloperId))
        {
            case AppTeam.Outcome.Done: Snackbar.Add($"Removed {member.Email}.", Severity.Success); break;
            case AppTeam.Outcome.LastOwner: Snackbar.Add("An app keeps at least one owner: invite another owner before removing this one.", Severity.Warning); break;
            default: Snackbar.Add("That member was already removed.", Severity.Info); break;
        }
        await LoadAsync(grant);
    }

    private static string RoleHelp(AppRole role) => role switch
    {
        AppRole.Owner => "Everything, including members.",
        AppRole.Developer => "Changes toolkits, keys, settings, connections.",
        _ => "Sees the app; no secrets, no changes.",
    };

    private static Color RoleColor(AppRole role) => role switch { AppRole.Owner => Color.Primary, AppRole.Developer => Color.Info, _ => Color.Default };
}
