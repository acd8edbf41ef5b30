using Butterbase.Portal.Apps;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace Butterbase.Portal.Execution.Pages;

public sealed partial class ExecutionsPage
{
    [Inject] public required IDbContextFactory<Butterbase.Portal.Data.PortalDb> DbFactory { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ExecutionLog Log { get; init; }
    [Inject] public required Microsoft.Extensions.Options.IOptions<LogQuota> Quotas { get; init; }
    [Inject] public required TimeProvider Clock { get; init; }

    private List<ExecutionRecord>? _items;
    private LogTruncation? _mark;
    private string? _tool, _user, _status, _source, _q;
    private string _range = "all";
    private const int PageSize = 200;
    private int _limit = PageSize;

    /// <summary>`?connection=cn_…` (from a connection's dialog) shows that connection's runs; `?id=ex_…` (from the Playground) opens that run.</summary>
    [SupplyParameterFromQuery(Name = "connection")] public string? ConnectionQuery { get; set; }
    [SupplyParameterFromQuery(Name = "id")] public string? IdQuery { get; set; }
    private string? _connection;
    private bool _openedId;

    protected override Task LoadAsync(AppGrant grant)
    {
        _connection = ConnectionQuery is { Length: > 0 } c ? c : null;
        return LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_openedId || IdQuery is not { Length: > 0 } id || _items is null || !RendererInfo.IsInteractive) return;
        _openedId = true;
        if (await AuthorizeAsync(AppRole.Viewer) is not { } grant) return;
        await using var db = await DbFactory.CreateDbContextAsync();
        // The run of this app only: an id of another app's run opens nothing.
        if (await db.Executions.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id && e.AppId == grant.App.Id) is { } record) await ShowAsync(record);
    }

    private async Task FilterAsync(Action set)
    {
        set();
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        if (await AuthorizeAsync(AppRole.Viewer) is not { } grant) { _items = []; return; }
        await using var db = await DbFactory.CreateDbContextAsync();
        var query = db.Executions.AsNoTracking().Where(e => e.AppId == grant.App.Id);
        if (_tool is { Length: > 0 } tool) query = query.Where(e => e.ToolName.Contains(tool.Trim().ToUpper()));
        if (_user is { Length: > 0 } user) query = query.Where(e => e.UserId == user.Trim());
        if (_status is not null) query = query.Where(e => e.Successful == (_status == "ok"));
        if (_source is not null) query = query.Where(e => e.Source == _source);
        if (_connection is not null) query = query.Where(e => e.ConnectionId == _connection);
        if (_q is { Length: > 0 } q)
        {
            var text = q.Trim().ToLowerInvariant();
            query = query.Where(e => e.Id.ToLower().Contains(text) || e.ToolName.ToLower().Contains(text) || e.UserId.ToLower().Contains(text)
                || (e.ConnectionId != null && e.ConnectionId.ToLower().Contains(text)) || (e.ErrorCode != null && e.ErrorCode.ToLower().Contains(text)));
        }
        if (RangeStart() is { } from) query = query.Where(e => e.CreatedAt >= from);
        _items = await query.OrderByDescending(e => e.CreatedAt).Take(_limit).ToListAsync();
        _mark = await Log.TruncationAsync(AppId, LogTruncation.Executions);
    }

    private bool Filtered => _tool is { Length: > 0 } || _user is { Length: > 0 } || _status is not null || _source is not null
        || _q is { Length: > 0 } || _connection is not null || _range != "all";

    private DateTime? RangeStart()
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        return _range switch { "1h" => now.AddHours(-1), "24h" => now.AddDays(-1), "7d" => now.AddDays(-7), _ => null };
    }

    /// <summary>
    /// The rows shown, as a file: the log's columns only — never the stored request or response (redacted as they are,
    /// they stay behind the per-run dialog). CSV cells that a spreadsheet would run as a formula are quoted as text.
    /// </summary>
    private string Export(string format)
    {
        var rows = _items ?? [];
        if (format == "json")
        {
            var json = System.Text.Json.JsonSerializer.Serialize(rows.Select(e => new
            {
                id = e.Id, tool = e.ToolName, toolkit = e.ToolkitSlug, user_id = e.UserId, connection_id = e.ConnectionId, source = e.Source,
                status = e.Successful ? "successful" : "failed", error_code = e.ErrorCode, upstream_status = e.UpstreamStatus, duration_ms = e.DurationMs,
                created_at = DateTime.SpecifyKind(e.CreatedAt, DateTimeKind.Utc),
            }), new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
            return "data:application/json;charset=utf-8," + Uri.EscapeDataString(json);
        }
        static string Cell(string? value)
        {
            var v = value ?? "";
            if (v.Length > 0 && "=+-@\t\r".Contains(v[0])) v = "'" + v;
            return v.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
        }
        var csv = new System.Text.StringBuilder("id,tool,toolkit,user_id,connection_id,source,status,error_code,upstream_status,duration_ms,created_at\n");
        foreach (var e in rows)
            csv.AppendJoin(',', Cell(e.Id), Cell(e.ToolName), Cell(e.ToolkitSlug), Cell(e.UserId), Cell(e.ConnectionId), Cell(e.Source),
                e.Successful ? "successful" : "failed", Cell(e.ErrorCode), e.UpstreamStatus?.ToString() ?? "", e.DurationMs.ToString(),
                e.CreatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ")).Append('\n');
        return "data:text/csv;charset=utf-8," + Uri.EscapeDataString(csv.ToString());
    }

    private async Task ShowAsync(ExecutionRecord record)
    {
        if (await AuthorizeAsync(AppRole.Viewer) is not { } grant || record.AppId != grant.App.Id) return;
        await Dialogs.ShowAsync<ExecutionDialog>(record.ToolName, new DialogParameters<ExecutionDialog> { { x => x.Record, record } },
            new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
    }
}
