using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Toolkits;
using Butterbase.Portal.Toolkits.Pages;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Catalog.Pages;

public sealed partial class ToolkitPage
{
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required ToolkitCatalog Catalog { get; init; }
    [Inject] public required ToolkitConfigs Configs { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required Butterbase.Portal.Outbound.PublicOrigin PublicOrigin { get; init; }

    [Parameter] public string Slug { get; set; } = "";
    private Toolkit? _toolkit;
    private List<ToolDefinition> _tools = [];
    private IReadOnlyDictionary<string, System.Text.Json.Nodes.JsonObject> _defs = new Dictionary<string, System.Text.Json.Nodes.JsonObject>();
    private string? _filter;
    private bool _enabled;

    protected override async Task LoadAsync(AppGrant grant)
    {
        _toolkit = Catalog.Find(Slug);
        if (_toolkit is null) return;
        _enabled = (await Configs.EnabledSlugsAsync(grant.App.Id)).Contains(_toolkit.Slug);
        var set = Catalog.ToolsOf(_toolkit);
        _tools = set.Tools;
        _defs = set.Defs;
        _visible = Filter(_tools, _filter);
        _curatedCount = _tools.Count(t => t.Origin == "curated");
        _sources = _tools.Select(t => t.Source).OfType<string>().Distinct().ToList();
    }

    private async Task EnableAsync(App app, Toolkit toolkit)
    {
        if (await AuthorizeAsync() is not { } grant) return;
        app = grant.App;
        // One confirmed step: the settings dialog is the confirmation; Cancel leaves the toolkit off.
        var dialog = await Dialogs.ShowAsync<ToolkitConfigDialog>($"Enable {toolkit.Name}", new DialogParameters<ToolkitConfigDialog>
        {
            { x => x.Toolkit, toolkit },
            { x => x.AppId, app.Id },
            { x => x.CallbackUrl, ConnectFlow.CallbackUri(PublicOrigin.Value, toolkit.Slug) },
        }, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false }) Navigation.NavigateTo($"/apps/{app.Id}/toolkits");
    }

    /// <summary>Tools per page: a 1,000-tool toolkit must not ship megabytes of markup (the page sends one page of titles).</summary>
    public const int PageSize = 25;
    private List<ToolDefinition> _visible = [];
    private readonly HashSet<string> _open = new(StringComparer.Ordinal);
    private int _page = 1;
    private int _curatedCount;
    private List<string> _sources = [];

    private int PageCount => (_visible.Count + PageSize - 1) / PageSize;

    private IEnumerable<ToolDefinition> PageOf(List<ToolDefinition> tools) => tools.Skip((Math.Clamp(_page, 1, Math.Max(1, PageCount)) - 1) * PageSize).Take(PageSize);

    private void Toggle(string name, bool expanded)
    {
        if (expanded) _open.Add(name); else _open.Remove(name);
    }

    private void FilterChanged(string? value)
    {
        _filter = value;
        _page = 1;
        _visible = Filter(_tools, value);
    }

    /// <summary>Every word typed must appear in the tool's name (underscores as spaces), title or description; hand-made tools keep their place first.</summary>
    internal static List<ToolDefinition> Filter(List<ToolDefinition> tools, string? filter)
    {
        var words = (filter ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0) return tools;
        return tools.Where(t => words.All(w => t.Name.Replace('_', ' ').Contains(w, StringComparison.OrdinalIgnoreCase)
                                            || t.DisplayName.Contains(w, StringComparison.OrdinalIgnoreCase)
                                            || t.Description.Contains(w, StringComparison.OrdinalIgnoreCase))).ToList();
    }
}
