using Butterbase.Portal.Apps;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Connections.Pages;

/// <summary>
/// One connection: its details and history, and what a developer does with it — a reconnect link for the end user,
/// disconnect (after a confirmation), copy its id, its runs in Executions. Viewers see no live control; every action asks
/// <see cref="AppAccess"/> again when it is made, for the connection's own app (docs/security.md [31]).
/// </summary>
public sealed partial class ConnectionDialog
{
    [Inject] public required ConnectionStore Store { get; init; }
    [Inject] public required AppAccess Access { get; init; }
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required ConnectLinks Links { get; init; }
    [Inject] public required RevocationWorker Revocations { get; init; }
    [Inject] public required Outbound.PublicOrigin Origin { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }

    [CascadingParameter] private IMudDialogInstance Dialog { get; set; } = default!;
    [Parameter, EditorRequired] public Connection Connection { get; set; } = default!;

    /// <summary>What <see cref="Dialog"/> closes with after a disconnect, so the page reloads its list.</summary>
    public const string Disconnected = "disconnected";

    private AppGrant? _grant;
    private List<ConnectionEvent>? _events;
    private string? _reconnectLink;
    private bool _confirmingDisconnect, _busy;

    protected override async Task OnInitializedAsync()
    {
        _grant = await Access.FindAsync(Connection.AppId);
        _events = _grant is null ? [] : await Store.EventsAsync(Connection.Id);
    }

    /// <summary>The caller's grant when they may change this connection's app now; otherwise null, after saying why.</summary>
    private async Task<AppGrant?> AuthorizeAsync()
    {
        _grant = await Access.FindAsync(Connection.AppId);
        if (_grant is { CanChange: true }) return _grant;
        Snackbar.Add(_grant is null ? "You are no longer a member of this app." : $"Your role in this app ({AppRoles.Name(_grant.Role)}) cannot do this.", Severity.Warning);
        return null;
    }

    private async Task CreateReconnectLinkAsync()
    {
        if (await AuthorizeAsync() is not { } grant) return;
        // The same sealed link an agent hands out (ConnectLinks), naming this connection: the consent renews it in place,
        // and the user ends on the portal's done page (docs/architecture.md "Hosted end pages").
        _reconnectLink = Links.Create(grant.App.Id, Connection.UserId, Connection.ToolkitSlug, connectionId: Connection.Id);
        await Team.RecordAsync(grant, "connection.reconnect_link", $"{Connection.ToolkitSlug} of user {Connection.UserId}");
    }

    private async Task DisconnectAsync()
    {
        if (await AuthorizeAsync() is not { } grant || grant.App.Id != Connection.AppId) { _confirmingDisconnect = false; return; }
        _busy = true;
        try
        {
            if (await Store.DeleteAsync(grant.App.Id, Connection.Id, null, Origin.Value))
            {
                await Team.RecordAsync(grant, "connection.deleted", $"{Connection.ToolkitSlug} of user {Connection.UserId}");
                Snackbar.Add("Disconnected.", Severity.Success);
            }
            else Snackbar.Add("It was already disconnected.", Severity.Info);
            Revocations.Wake();
            Dialog.Close(DialogResult.Ok(Disconnected));
        }
        finally { _busy = false; }
    }
}
