using System.Globalization;
using System.Text.Json;
using Butterbase.Portal.Api;
using Butterbase.Portal.Apps;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Functions.Pages;

/// <summary>
/// The schedule editor on a function's page. Checks each field as it is typed with the API's own rules (cron, IANA time
/// zone, body), shows the next runs as a hint, and saves the whole list through <see cref="FunctionSchedules.ReplaceAsync"/>
/// after asking the database whether the caller may (docs/security.md [31]).
/// </summary>
public partial class ScheduleEditor : ComponentBase
{
    [Parameter, EditorRequired] public string AppId { get; set; } = "";
    [Parameter, EditorRequired] public string FunctionName { get; set; } = "";
    /// <summary>Whether the caller may change things (developer or owner); saving checks again.</summary>
    [Parameter] public bool CanChange { get; set; }

    [Inject] public required FunctionSchedules Schedules { get; init; }
    [Inject] public required AppAccess Access { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required ILogger<ScheduleEditor> Logger { get; init; }

    /// <summary>One schedule as edited.</summary>
    public sealed class Row
    {
        public string Cron { get; set; } = "0 9 * * 1-5";
        public string TimeZone { get; set; } = "UTC";
        public string? RunAs { get; set; }
        public string? Body { get; set; }
        public bool Enabled { get; set; } = true;
        public DateTimeOffset? NextRunAt { get; set; }
    }

    private List<Row>? _rows;
    private List<ApiErrorDetail> _problems = [];
    private bool _saving, _dirty;
    private string? _loadedFor;

    protected ScheduleLimits Limits => Schedules.Limits;

    protected override async Task OnParametersSetAsync()
    {
        if (_loadedFor == AppId + "/" + FunctionName) return;
        _loadedFor = AppId + "/" + FunctionName;
        if (await Access.FindAsync(AppId) is null) { _rows = []; return; } // the page checks too; a member's schedules only
        var views = await Schedules.ListAsync(AppId, FunctionName, default) ?? [];
        _rows = views.Select(From).ToList();
    }

    private static Row From(ScheduleView v) => new()
    {
        Cron = v.Cron,
        TimeZone = v.TimeZone,
        RunAs = v.RunAs,
        Body = v.Body?.GetRawText(),
        Enabled = v.Enabled,
        NextRunAt = v.NextRunAt,
    };

    private void Add()
    {
        _rows ??= [];
        if (_rows.Count < Limits.MaxPerFunction) _rows.Add(new Row());
        _dirty = true;
    }

    private void Remove(Row row)
    {
        _rows?.Remove(row);
        _problems.Clear(); // their indexes moved
        _dirty = true;
    }

    private string? Problem(int index, string field) => _problems.FirstOrDefault(p => p.Field == $"[{index}].{field}")?.Message;

    private string? ZoneError(Row row, int index) =>
        FunctionSchedules.FindTimeZone(row.TimeZone) is null ? "Not an IANA time zone: use e.g. UTC or Europe/Berlin." : Problem(index, "timeZone");

    private string? CronError(Row row, int index) =>
        FunctionSchedules.CronProblem(row.Cron, FunctionSchedules.FindTimeZone(row.TimeZone) ?? TimeZoneInfo.Utc, TimeSpan.FromSeconds(Limits.MinIntervalSeconds))
        ?? Problem(index, "cron");

    private string? BodyError(Row row, int index)
    {
        if (string.IsNullOrWhiteSpace(row.Body)) return null;
        try { using var _ = JsonDocument.Parse(row.Body); }
        catch (JsonException) { return "Not valid JSON (leave it empty for no body)."; }
        return Problem(index, "body");
    }

    /// <summary>The human reading of a cron: its next three runs in the schedule's own time zone.</summary>
    private string? Hint(Row row)
    {
        var zone = FunctionSchedules.FindTimeZone(row.TimeZone) ?? TimeZoneInfo.Utc;
        if (FunctionSchedules.Parse(row.Cron, zone) is not { } expression) return "minute hour day-of-month month day-of-week";
        var next = FunctionSchedules.NextRuns(expression, DateTimeOffset.UtcNow, 3)
            .Select(t => TimeZoneInfo.ConvertTime(t, zone).ToString("ddd d MMM HH:mm", CultureInfo.InvariantCulture));
        return $"Next: {string.Join(", ", next)} ({zone.Id})";
    }

    private bool IsValid => _rows is not null && _rows.Select((r, i) => CronError(r, i) ?? ZoneError(r, i) ?? BodyError(r, i)).All(e => e is null);

    private async Task SaveAsync()
    {
        if (_rows is null || await Access.RequireAsync(AppId, AppRole.Developer) is null)
        {
            Snackbar.Add("Your role in this app cannot change schedules.", Severity.Warning);
            return;
        }
        _saving = true;
        try
        {
            var inputs = _rows.Select(r => new ScheduleInput(r.Cron, r.TimeZone,
                string.IsNullOrWhiteSpace(r.RunAs) ? null : r.RunAs.Trim(),
                string.IsNullOrWhiteSpace(r.Body) ? null : JsonSerializer.Deserialize<JsonElement>(r.Body), r.Enabled)).ToList();
            var result = await Schedules.ReplaceAsync(AppId, FunctionName, inputs, default);
            if (result.FunctionMissing) { Snackbar.Add("This function was deleted.", Severity.Error); return; }
            if (result.Problems is not null) { _problems = result.Problems.ToList(); return; }
            _problems = [];
            _rows = result.Schedules!.Select(From).ToList();
            _dirty = false;
            Snackbar.Add(_rows.Count == 0 ? "Schedules removed." : $"Saved {_rows.Count} schedule{(_rows.Count == 1 ? "" : "s")}.", Severity.Success);
        }
        catch (Exception e)
        {
            Logger.LogError(e, "Saving a function's schedules failed");
            Snackbar.Add("Could not save the schedules. Try again.", Severity.Error);
        }
        finally { _saving = false; }
    }
}
