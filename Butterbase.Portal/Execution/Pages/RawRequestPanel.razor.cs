using System.Text.Json;
using Butterbase.Portal.Api;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.JSInterop;
using MudBlazor;

namespace Butterbase.Portal.Execution.Pages;

/// <summary>
/// Sends one proxy request as a connected test user (<see cref="ProxyRunner"/>, the API's own code path) and shows what the
/// provider answered. The page's <see cref="Authorize"/> is asked again before every send and user list (docs/security.md [31]).
/// </summary>
public partial class RawRequestPanel
{
    [Parameter, EditorRequired] public string AppId { get; set; } = "";
    [Parameter, EditorRequired] public IReadOnlyList<Toolkit> Toolkits { get; set; } = [];
    /// <summary>Whether the caller may send (developer or owner); the send checks again.</summary>
    [Parameter] public bool CanChange { get; set; }
    /// <summary>The page's per-operation check: the caller's grant now, or null (after saying why).</summary>
    [Parameter, EditorRequired] public Func<AppRole, Task<AppGrant?>> Authorize { get; set; } = default!;

    [Inject] public required ProxyRunner Proxy { get; init; }
    [Inject] public required OAuthProviders Providers { get; init; }
    [Inject] public required ToolkitCatalog Catalog { get; init; }
    [Inject] public required IDbContextFactory<PortalDb> DbFactory { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required IJSRuntime JS { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

    private string? _toolkit, _user, _apiBase, _query, _headers, _body, _bodyText, _executionId;
    private string _method = "GET", _path = "/";
    private List<string> _users = [];
    private Dictionary<string, string> _errors = [];
    private IReadOnlyDictionary<string, string> _responseHeaders = new Dictionary<string, string>();
    private int? _status;
    private ApiError? _error;
    private bool _sending, _isBase64;

    protected override async Task OnParametersSetAsync()
    {
        if (_toolkit is null && Toolkits.Count > 0) await ToolkitChangedAsync(Toolkits[0].Slug);
    }

    private Color StatusColor => _status switch { < 300 => Color.Success, < 400 => Color.Info, < 500 => Color.Warning, _ => Color.Error };

    private async Task ToolkitChangedAsync(string? slug)
    {
        _toolkit = slug;
        var toolkit = slug is null ? null : Catalog.Find(slug);
        _apiBase = toolkit is null ? null : Providers.ApiBaseUrl(toolkit, Navigation.BaseUri.TrimEnd('/'));
        if (await Authorize(AppRole.Viewer) is not { } grant) { _users = []; _user = null; return; }
        await using var db = await DbFactory.CreateDbContextAsync();
        _users = await db.Connections.AsNoTracking().Where(c => c.AppId == grant.App.Id && c.ToolkitSlug == slug && c.Status == ConnectionStatus.Active)
            .Select(c => c.UserId).Distinct().OrderBy(u => u).Take(100).ToListAsync();
        _user = _users.FirstOrDefault();
    }

    private async Task SendAsync()
    {
        _errors = [];
        var query = Pairs(_query, '=', "query", "Write each query parameter as name=value on its own line.");
        var headers = Pairs(_headers, ':', "headers", "Write each header as Name: value on its own line.");
        if (string.IsNullOrWhiteSpace(_path)) _errors["path"] = "Give a path, e.g. /user/repos";
        if (_errors.Count > 0 || _toolkit is null || _user is null) return;
        if (await Authorize(AppRole.Developer) is not { } grant) return;

        _sending = true;
        try
        {
            using var queryJson = JsonDocument.Parse(JsonSerializer.Serialize(query!.GroupBy(p => p.Key)
                .ToDictionary(g => g.Key, g => g.Count() == 1 ? (object)g.First().Value : g.Select(p => p.Value).ToArray())));
            using var bodyJson = BodyJson();
            var call = new ProxyRunner.Call(grant.App.Id, _user, _toolkit, null, _method, _path.Trim(), queryJson.RootElement.Clone(),
                headers!.GroupBy(p => p.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last().Value),
                bodyJson?.RootElement.Clone(), Navigation.BaseUri.TrimEnd('/'), ExecutionSources.Playground);
            var (result, error, _) = await Proxy.SendAsync(call, CancellationToken.None);
            Show(result, error);
        }
        finally { _sending = false; }
    }

    private void Show(ProxyResult? result, ApiError? error)
    {
        _error = error;
        _status = result?.Status;
        _executionId = result?.ExecutionId;
        _responseHeaders = result?.Headers ?? new Dictionary<string, string>();
        _isBase64 = result?.BodyBase64 is not null;
        _bodyText = result is null ? null
            : result.BodyBase64 ?? (result.Body is null ? null
                : result.Body.GetValueKind() == JsonValueKind.String ? result.Body.GetValue<string>()
                : result.Body.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var detail in error?.Details ?? [])
            _errors[detail.Field.Split('.')[0]] = detail.Field.Contains('.') ? $"{detail.Field[(detail.Field.IndexOf('.') + 1)..]}: {detail.Message}" : detail.Message;
        if (error is not null) Snackbar.Add(error.Message, Severity.Error);
    }

    /// <summary>The body field as a JSON document: JSON as typed, anything else as a JSON string (sent as text).</summary>
    private JsonDocument? BodyJson()
    {
        if (_method is "GET" or "HEAD" || string.IsNullOrEmpty(_body)) return null;
        try { return JsonDocument.Parse(_body); }
        catch (JsonException) { return JsonDocument.Parse(JsonSerializer.Serialize(_body)); }
    }

    /// <summary>`name=value` or `Name: value` lines; a line without the separator is the field's inline error.</summary>
    private List<KeyValuePair<string, string>>? Pairs(string? text, char separator, string field, string problem)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var line in (text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
        {
            var at = line.IndexOf(separator);
            if (at <= 0) { _errors[field] = problem; return null; }
            pairs.Add(new(line[..at].Trim(), line[(at + 1)..].Trim()));
        }
        return pairs;
    }

    private async Task CopyAsync()
    {
        var copied = await JS.InvokeAsync<bool>("butterbase.copy", _bodyText);
        Snackbar.Add(copied ? "Copied to the clipboard." : "The browser refused the clipboard: select the text and copy it by hand.", copied ? Severity.Success : Severity.Warning);
    }
}
