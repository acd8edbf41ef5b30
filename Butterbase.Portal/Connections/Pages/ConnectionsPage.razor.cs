using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Connections.Pages;

public sealed partial class ConnectionsPage
{
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required ConnectionStore Store { get; init; }
    [Inject] public required ToolkitConfigs Configs { get; init; }
    [Inject] public required ToolkitCatalog Catalog { get; init; }
    [Inject] public required RevocationWorker Revocations { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }

    [SupplyParameterFromQuery(Name = "status")] public string? ReturnStatus { get; set; }
    [SupplyParameterFromQuery(Name = "error")] public string? ReturnError { get; set; }
    [SupplyParameterFromQuery(Name = "toolkit")] public string? ReturnToolkit { get; set; }
    private List<Connection>? _items;
    private List<ToolkitConfig> _toolkits = [];
    private int _total;
    private string? _user, _toolkit, _status;
    private bool _filtered => _user is { Length: > 0 } || _toolkit is not null || _status is not null;
    private bool _announced;

    protected override async Task LoadAsync(AppGrant grant)
    {
        _toolkits = await Configs.ListAsync(grant.App.Id);
        await LoadAsync();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        // Back from "Connect a test user": say how it went, once.
        if (_announced || ReturnStatus is null || !RendererInfo.IsInteractive) return;
        _announced = true;
        if (ReturnStatus == "connected") Snackbar.Add($"Connected {Catalog.Find(ReturnToolkit ?? "")?.Name ?? ReturnToolkit}.", Severity.Success);
        else Snackbar.Add($"Connecting failed: {ReturnError ?? "unknown error"}.", Severity.Error);
    }

    private async Task LoadAsync()
    {
        // Every reload (filters too) asks again: a member removed mid-session stops seeing rows at their next keystroke.
        if (await AuthorizeAsync(AppRole.Viewer) is not { } grant) { _items = []; _total = 0; return; }
        var (items, total) = await Store.ListAsync(grant.App.Id, new(_user is { Length: > 0 } ? _user.Trim() : null, _toolkit, _status), 200, 0);
        _items = items;
        _total = total;
    }

    private async Task FilterAsync(Action set)
    {
        set();
        await LoadAsync();
    }

    private static string Time(DateTime? t) => t is { } v ? v.ToString("yyyy-MM-dd HH:mm") : "—";

    private async Task ShowAsync(Connection connection)
    {
        var dialog = await Dialogs.ShowAsync<ConnectionDialog>("Connection", new DialogParameters<ConnectionDialog> { { x => x.Connection, connection } },
            new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: ConnectionDialog.Disconnected }) await LoadAsync();
    }

    private async Task DisconnectAsync(Connection connection)
    {
        if (await AuthorizeAsync() is null) return;
        var confirmed = await Dialogs.ShowMessageBoxAsync("Disconnect this account?",
            $"{connection.AccountLabel ?? connection.Id} of user {connection.UserId} will be disconnected and its tokens revoked at the provider. The user must connect again.",
            yesText: "Disconnect", cancelText: "Cancel");
        if (confirmed != true) return;
        if (await AuthorizeAsync() is not { } grant || connection.AppId != grant.App.Id) return;
        var origin = Navigation.BaseUri.TrimEnd('/');
        if (await Store.DeleteAsync(grant.App.Id, connection.Id, null, origin))
        {
            await Team.RecordAsync(grant, "connection.deleted", $"{connection.ToolkitSlug} of user {connection.UserId}");
            Snackbar.Add("Disconnected.", Severity.Success);
        }
        Revocations.Wake();
        await LoadAsync();
    }
}
