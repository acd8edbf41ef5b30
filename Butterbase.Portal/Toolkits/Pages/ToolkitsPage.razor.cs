using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Toolkits.Pages;

public sealed partial class ToolkitsPage
{
    [Inject] public required ToolkitConfigs Configs { get; init; }
    [Inject] public required ToolkitCatalog Catalog { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required Butterbase.Portal.Outbound.PublicOrigin PublicOrigin { get; init; }
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required OAuthProviders Providers { get; init; }

    private List<ToolkitConfig>? _configs;

    /// <summary>Set when arriving from the catalog's "Enable": open that toolkit's settings at once.</summary>
    [SupplyParameterFromQuery(Name = "edit")] public string? Edit { get; set; }
    private bool _opened;

    protected override async Task OnParametersSetAsync()
    {
        _configs = null;
        await base.OnParametersSetAsync();
    }

    protected override async Task LoadAsync(AppGrant grant) => _configs = await Configs.ListAsync(grant.App.Id);

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // Only for a member who may change settings, and only a toolkit of this app (EditAsync checks again).
        if (_opened || Edit is null || _configs is null || !CanChange || !RendererInfo.IsInteractive) return;
        _opened = true;
        if (_configs.FirstOrDefault(c => c.ToolkitSlug == Edit) is { } config) await EditAsync(config);
    }

    private async Task EditAsync(ToolkitConfig config)
    {
        if (await AuthorizeAsync() is not { } grant || config.AppId != grant.App.Id) return;
        var toolkit = Catalog.Find(config.ToolkitSlug);
        if (toolkit is null) return;
        var parameters = new DialogParameters<ToolkitConfigDialog>
        {
            { x => x.Toolkit, toolkit },
            { x => x.Config, config },
            { x => x.AppId, grant.App.Id },
            { x => x.CallbackUrl, ConnectFlow.CallbackUri(PublicOrigin.Value, toolkit.Slug) },
        };
        var dialog = await Dialogs.ShowAsync<ToolkitConfigDialog>($"{toolkit.Name} settings", parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false }) _configs = await Configs.ListAsync(grant.App.Id);
    }

    /// <summary>
    /// Whose OAuth client connects this toolkit — and, before anyone tries, when there is none: no client of the app's
    /// own and none configured by the operator (Butterbase:Toolkits:{slug}:ClientId) means every connect would fail.
    /// </summary>
    private string ClientState(ToolkitConfig config, Toolkit? toolkit) => config.AuthScheme != AuthSchemes.OAuth2 || toolkit is null ? "—"
        : config.ClientId is not null ? "your own"
        : toolkit.Slug == "sandbox" ? "built in"
        : Providers.Resolve(toolkit, config, PublicOrigin.Value).Problem is not null ? "needs"
        : "managed";

    private async Task SetEnabledAsync(ToolkitConfig config, bool enabled)
    {
        if (await AuthorizeAsync() is not { } grant || config.AppId != grant.App.Id) return;
        var toolkit = Catalog.Find(config.ToolkitSlug)!;
        if (enabled)
        {
            await Configs.ConfigureAsync(grant.App.Id, new ToolkitConfigs.Change(toolkit, null, null, null, null, null));
            await Team.RecordAsync(grant, "toolkit.enabled", toolkit.Name);
        }
        else
        {
            await Configs.DisableAsync(grant.App.Id, config.ToolkitSlug);
            await Team.RecordAsync(grant, "toolkit.disabled", toolkit.Name);
            Snackbar.Add($"{toolkit.Name} is disabled. Its connections are kept; connect and execute answer 'toolkit_disabled' until you enable it again.", Severity.Info);
        }
        _configs = await Configs.ListAsync(grant.App.Id);
    }

    private async Task ConnectTestUserAsync(ToolkitConfig config)
    {
        if (await AuthorizeAsync() is not { } grant || config.AppId != grant.App.Id) return;
        var dialog = await Dialogs.ShowAsync<ConnectTestUserDialog>("Connect a test user", new DialogParameters<ConnectTestUserDialog>
        {
            { x => x.App, grant.App },
            { x => x.Toolkit, Catalog.Find(config.ToolkitSlug)! },
        }, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        await dialog.Result;
    }
}
