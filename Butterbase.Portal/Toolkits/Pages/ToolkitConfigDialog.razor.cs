using Butterbase.Portal.Accounts;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace Butterbase.Portal.Toolkits.Pages;

public sealed partial class ToolkitConfigDialog
{
    [Inject] public required ToolkitConfigs Configs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required AppAccess Access { get; init; }
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required OAuthProviders Providers { get; init; }
    [Inject] public required Butterbase.Portal.Outbound.PublicOrigin PublicOrigin { get; init; }

    [CascadingParameter] private IMudDialogInstance Dialog { get; set; } = default!;
    [Parameter, EditorRequired] public Toolkit Toolkit { get; set; } = default!;
    /// <summary>The stored settings; null when the dialog is the one confirmed step that enables the toolkit.</summary>
    [Parameter] public ToolkitConfig? Config { get; set; }
    [Parameter, EditorRequired] public string AppId { get; set; } = "";
    [Parameter, EditorRequired] public string CallbackUrl { get; set; } = "";
    private ToolkitConfigForm _form = new();
    private EditContext _context = default!;

    private bool IsSandbox => Toolkit.Slug == "sandbox";

    /// <summary>No OAuth client anywhere for this toolkit (the operator configured none): connecting would fail.</summary>
    private bool NeedsClient { get; set; }

    protected override void OnInitialized()
    {
        NeedsClient = Toolkit.Auth.Any(a => a.Type == AuthSchemes.OAuth2) && Providers.Resolve(Toolkit, null, PublicOrigin.Value).Problem is not null;
        _form = Config is { } config
            ? new ToolkitConfigForm
            {
                DisplayName = config.DisplayName,
                AuthScheme = config.AuthScheme,
                Scopes = config.Scopes,
                UseCustomClient = config.ClientId is not null,
                ClientId = config.ClientId ?? "",
                HasStoredSecret = config.ClientSecret is not null,
            }
            : new ToolkitConfigForm
            {
                DisplayName = Toolkit.Name,
                AuthScheme = Toolkit.DefaultAuth.Type,
                // Without a managed client the only way to a working toolkit is the app's own: start there.
                UseCustomClient = NeedsClient,
            };
        _context = new EditContext(_form);
    }

    private async Task SaveAsync()
    {
        // The dialog is its own component: it checks the caller's role in the config's app itself, at the moment of saving.
        if (await Access.RequireAsync(AppId, AppRole.Developer) is not { } grant || Config is not null && Config.AppId != AppId)
        {
            Snackbar.Add("You cannot change this app's toolkits.", Severity.Error);
            Dialog.Cancel();
            return;
        }
        var custom = _form.AuthScheme == AuthSchemes.OAuth2 && _form.UseCustomClient && !IsSandbox;
        await Configs.ConfigureAsync(AppId, new ToolkitConfigs.Change(Toolkit, _form.DisplayName, _form.Scopes.ToList(), _form.AuthScheme,
            custom ? _form.ClientId : null, custom && _form.ClientSecret.Length > 0 ? _form.ClientSecret : null, UseManagedClient: !custom));
        if (Config is null) await Team.RecordAsync(grant, "toolkit.enabled", Toolkit.Name);
        await Team.RecordAsync(grant, "toolkit.configured", $"{Toolkit.Name}: " + (custom ? "own OAuth client" + (_form.ClientSecret.Length > 0 ? ", new secret" : "") : "managed client")
            + (_form.Scopes.Count > 0 ? $", scopes {string.Join(" ", _form.Scopes)}" : ""));
        Snackbar.Add(Config is null ? $"Saved {Toolkit.Name}. It is enabled for this app." : $"Saved {Toolkit.Name}.", Severity.Success);
        Dialog.Close(DialogResult.Ok(true));
    }
}
