using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace Butterbase.Portal.Execution.Pages;

public sealed partial class PlaygroundPage
{
    [Inject] public required ToolkitCatalog Catalog { get; init; }
    [Inject] public required ToolkitConfigs Configs { get; init; }
    [Inject] public required ToolRunner Runner { get; init; }
    [Inject] public required IDbContextFactory<Butterbase.Portal.Data.PortalDb> DbFactory { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }

    private List<Toolkit>? _toolkits;
    private string? _toolkit, _tool, _user, _result, _executionId;
    private List<ToolDefinition> _tools = [];
    internal string? SelectedToolkit => _toolkit;
    private List<string> _users = [];
    private List<PlaygroundField> _fields = [];
    private bool _running, _ok;

    protected override async Task LoadAsync(AppGrant grant)
    {
        var enabled = await Configs.EnabledSlugsAsync(grant.App.Id);
        _toolkits = enabled.Select(Catalog.Find).OfType<Toolkit>().OrderBy(t => t.Name).ToList();
        if (_toolkits.Count == 0 || _toolkit is not null) return;
        // Open on a toolkit someone has connected: a run needs a connected user, and the first toolkit by name may have none.
        await using var db = await DbFactory.CreateDbContextAsync();
        var connected = await db.Connections.AsNoTracking().Where(c => c.AppId == grant.App.Id && c.Status == ConnectionStatus.Active)
            .Select(c => c.ToolkitSlug).Distinct().ToListAsync();
        await ToolkitChangedAsync((_toolkits.FirstOrDefault(t => connected.Contains(t.Slug)) ?? _toolkits[0]).Slug);
    }

    private async Task ToolkitChangedAsync(string? slug)
    {
        _toolkit = slug;
        var toolkit = slug is null ? null : Catalog.Find(slug);
        _tools = toolkit is null ? [] : Catalog.ToolsOf(toolkit).Tools;
        ToolChanged(_tools.FirstOrDefault()?.Name);
        if (await AuthorizeAsync(AppRole.Viewer) is not { } grant) { _users = []; _user = null; return; }
        await using var db = await DbFactory.CreateDbContextAsync();
        _users = await db.Connections.AsNoTracking().Where(c => c.AppId == grant.App.Id && c.ToolkitSlug == slug && c.Status == ConnectionStatus.Active)
            .Select(c => c.UserId).Distinct().OrderBy(u => u).Take(100).ToListAsync();
        _user = _users.FirstOrDefault();
    }

    /// <summary>The tools matching every word typed (the toolkit page's filter); the chosen tool's own name lists it first.</summary>
    internal Task<IEnumerable<string>> SearchToolsAsync(string? text, CancellationToken ct)
    {
        if (text is not null && _tools.Any(t => t.Name == text)) text = null; // reopening the list after a pick shows them all
        return Task.FromResult(Butterbase.Portal.Catalog.Pages.ToolkitPage.Filter(_tools, text).Take(50).Select(t => t.Name));
    }

    private void ToolChanged(string? name)
    {
        _tool = name;
        var tool = _tools.FirstOrDefault(t => t.Name == name);
        _fields = tool is null ? [] : PlaygroundField.For(tool);
        _result = null;
    }

    private async Task RunAsync(App app)
    {
        if (!PlaygroundField.TryBuild(_fields, out var parameters)) return;
        if (await AuthorizeAsync() is not { } grant) return;
        app = grant.App;
        _running = true;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(parameters.ToJsonString());
            var (result, error, _) = await Runner.ExecuteAsync(new ToolRunner.Call(app.Id, _user!, _tool!, document.RootElement.Clone(), null, Navigation.BaseUri.TrimEnd('/'), ExecutionSources.Playground), CancellationToken.None);
            if (error is not null)
            {
                foreach (var detail in error.Details ?? [])
                    if (_fields.FirstOrDefault(f => f.Name == detail.Field.Split('.')[0]) is { } field) field.Error = detail.Message;
                Snackbar.Add(error.Message, Severity.Error);
                _ok = false;
                _executionId = null;
                _result = System.Text.Json.JsonSerializer.Serialize(error, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = true });
                return;
            }
            _ok = result!.Successful;
            _executionId = result.ExecutionId;
            _result = System.Text.Json.JsonSerializer.Serialize(result, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = true });
        }
        finally { _running = false; }
    }
}
