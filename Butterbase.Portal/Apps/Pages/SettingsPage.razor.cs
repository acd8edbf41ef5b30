using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace Butterbase.Portal.Apps.Pages;

public sealed partial class SettingsPage
{
    [Inject] public required AppRegistry Apps { get; init; }
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }

    private SettingsForm _form = new();
    private EditContext? _editContext;
    private string? _formFor;
    private bool _saving;

    private void EnsureForm(App app)
    {
        if (_formFor == app.Id) return;
        _form = SettingsForm.From(app);
        _editContext = new EditContext(_form);
        _formFor = app.Id;
    }

    private Task AddUrl()
    {
        var url = _form.NewRedirectUrl.Trim();
        if (url.Length == 0) return Task.CompletedTask;
        _editContext!.NotifyFieldChanged(_editContext.Field(nameof(SettingsForm.NewRedirectUrl)));
        if (RedirectUrls.ProblemWithEntry(url) is not null) return Task.CompletedTask;
        if (!_form.AllowedRedirectUrls.Contains(url)) _form.AllowedRedirectUrls.Add(url);
        _form.NewRedirectUrl = "";
        _editContext.NotifyFieldChanged(_editContext.Field(nameof(SettingsForm.AllowedRedirectUrls)));
        return Task.CompletedTask;
    }

    private async Task SaveAsync(App app)
    {
        if (await AuthorizeAsync() is not { } grant) return;
        _saving = true;
        try
        {
            await AddUrl(); // a URL typed but not yet added is what the user means to save
            var saved = await Apps.SaveSettingsAsync(grant.App.Id, _form.ToSettings());
            if (saved is null) { Snackbar.Add("The app no longer exists.", Severity.Error); return; }
            await Team.RecordAsync(grant, "settings.saved", $"name, {saved.AllowedRedirectUrls.Count} redirect URL(s), " + (saved.JwtIssuer is null ? "no external issuer" : $"issuer {saved.JwtIssuer}"));
            _form = SettingsForm.From(saved);
            _editContext = new EditContext(_form);
            Snackbar.Add("Settings saved.", Severity.Success);
        }
        finally { _saving = false; }
    }
}
