using System.Text.Json;
using Butterbase.Portal.Api;
using Butterbase.Portal.Data;
using Butterbase.Portal.Scheduling;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;

namespace Butterbase.Portal.Functions;

/// <summary>
/// Cron schedules of functions. The `FunctionSchedules` rows are the truth; each enabled one has a Quartz cron trigger
/// with its id, in a trigger group per function (`fn:{functionId}`), firing the one durable <see cref="ScheduledFunctionJob"/>.
/// A change writes the rows in one transaction, then brings the function's trigger group in line with the rows as they are
/// after the commit (so two racing changes still end as the last one); at start every group is brought in line
/// (<see cref="ReconcileAsync"/>), and a firing whose row is gone or paused does nothing but remove its trigger.
/// docs/architecture.md, "Scheduled functions".
/// </summary>
public sealed class FunctionSchedules(
    IDbContextFactory<PortalDb> dbFactory, ISchedulerFactory schedulers, IOptions<ScheduleLimits> options,
    IValidator<ScheduleInput> validator, TimeProvider clock, ILogger<FunctionSchedules> logger) : IScheduleReconciler
{
    public const string GroupPrefix = "fn:";
    public static readonly JobKey JobKey = new("function-schedule", "functions");
    public ScheduleLimits Limits => options.Value;

    public static string GroupOf(string functionId) => GroupPrefix + functionId;

    /// <summary>An IANA time zone by its name (Windows names are refused: the API speaks IANA), or null.</summary>
    public static TimeZoneInfo? FindTimeZone(string? id) =>
        id is { Length: > 0 and <= 64 } && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId ? zone : null;

    /// <summary>The five-field cron as Quartz reads it (Unix dialect, seconds 0), in <paramref name="zone"/>; null when it does not parse.</summary>
    public static CronExpression? Parse(string? cron, TimeZoneInfo zone) =>
        cron is not null && Fields(cron).Length == 5 && CronExpression.TryParse(Normalize(cron), CronFormat.Unix, out var expression) && expression is not null
            ? expression.WithTimeZone(zone)
            : null;

    private static string[] Fields(string cron) => cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    public static string Normalize(string cron) => string.Join(' ', Fields(cron));

    /// <summary>What is wrong with a cron for a schedule, in words a person can act on; null when it is fine.</summary>
    public static string? CronProblem(string? cron, TimeZoneInfo zone, TimeSpan minInterval)
    {
        const string Shape = "five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\" (09:00 on weekdays)";
        if (string.IsNullOrWhiteSpace(cron)) return $"Give a cron expression of {Shape}.";
        if (cron.Length > 120) return "The cron expression is over 120 characters.";
        var fields = Fields(cron);
        if (fields.Length != 5) return $"Use {Shape}; seconds are always 0. This one has {fields.Length} field{(fields.Length == 1 ? "" : "s")}.";
        CronExpression expression;
        try { expression = CronExpression.Parse(Normalize(cron), CronFormat.Unix).WithTimeZone(zone); }
        catch (FormatException e) { return $"'{Normalize(cron)}' is not a valid cron expression ({e.Message.TrimEnd('.')}). Use {Shape}."; }
        var times = NextRuns(expression, DateTimeOffset.UtcNow, 100);
        if (times.Count == 0) return $"'{Normalize(cron)}' never fires (e.g. the 30th of February).";
        for (var i = 1; i < times.Count; i++)
            if (times[i] - times[i - 1] < minInterval)
                return $"'{Normalize(cron)}' fires {(times[i] - times[i - 1]).TotalSeconds:0} s apart; schedules may fire at most once every {minInterval.TotalSeconds:0} s.";
        return null;
    }

    public static List<DateTimeOffset> NextRuns(CronExpression expression, DateTimeOffset after, int count)
    {
        var times = new List<DateTimeOffset>(count);
        for (var t = expression.GetNextValidTimeAfter(after); t is not null && times.Count < count; t = expression.GetNextValidTimeAfter(t.Value))
            times.Add(t.Value);
        return times;
    }

    public async Task<List<FunctionSchedule>> RowsAsync(string appId, string functionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<FunctionSchedule>().AsNoTracking().Where(s => s.AppId == appId && s.FunctionId == functionId).OrderBy(s => s.Position).ToListAsync(ct);
    }

    /// <summary>The function's schedules with their next run (from the trigger; computed from the cron if the trigger is missing); null for no such function.</summary>
    public async Task<List<ScheduleView>?> ListAsync(string appId, string functionName, CancellationToken ct)
    {
        var function = await FindFunctionAsync(appId, functionName, ct);
        if (function is null) return null;
        return await ViewsAsync(await RowsAsync(appId, function.Id, ct), ct);
    }

    private async Task<List<ScheduleView>> ViewsAsync(List<FunctionSchedule> rows, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var views = new List<ScheduleView>(rows.Count);
        foreach (var row in rows)
        {
            DateTimeOffset? next = null;
            if (row.Enabled)
            {
                next = (await scheduler.GetTrigger(new TriggerKey(row.Id, GroupOf(row.FunctionId)), ct))?.NextFireTimeUtc
                    ?? (Parse(row.Cron, FindTimeZone(row.TimeZone) ?? TimeZoneInfo.Utc)?.GetNextValidTimeAfter(clock.GetUtcNow()));
            }
            views.Add(new ScheduleView(row.Id, row.Cron, row.TimeZone, row.RunAs, row.Body is null ? null : JsonSerializer.Deserialize<JsonElement>(row.Body), row.Enabled, next));
        }
        return views;
    }

    private async Task<AppFunction?> FindFunctionAsync(string appId, string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<AppFunction>().AsNoTracking().FirstOrDefaultAsync(f => f.AppId == appId && f.Name == name, ct);
    }

    public sealed record ReplaceResult(List<ScheduleView>? Schedules, IReadOnlyList<ApiErrorDetail>? Problems, bool FunctionMissing);

    /// <summary>Checks every entry (details name them `[i].field`), then replaces the function's schedules and triggers with the list.</summary>
    public async Task<ReplaceResult> ReplaceAsync(string appId, string functionName, IReadOnlyList<ScheduleInput> inputs, CancellationToken ct)
    {
        var problems = new List<ApiErrorDetail>();
        if (inputs.Count > Limits.MaxPerFunction)
            problems.Add(new("", $"At most {Limits.MaxPerFunction} schedules per function; this list has {inputs.Count}."));
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null) { problems.Add(new($"[{i}]", "Each schedule is an object { cron, timeZone, runAs, body, enabled }.")); continue; }
            foreach (var error in (await validator.ValidateAsync(inputs[i], ct)).Errors)
                problems.Add(new($"[{i}].{error.PropertyName}", error.ErrorMessage));
        }
        if (problems.Count > 0) return new(null, problems, false);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var function = await db.Set<AppFunction>().AsNoTracking().FirstOrDefaultAsync(f => f.AppId == appId && f.Name == functionName, ct);
        if (function is null) return new(null, null, true);
        // Lock the function's row (a no-op update) so two replacements of one function's list take turns.
        await db.Set<AppFunction>().Where(f => f.Id == function.Id).ExecuteUpdateAsync(s => s.SetProperty(f => f.Version, f => f.Version), ct);
        var others = await db.Set<FunctionSchedule>().CountAsync(s => s.AppId == appId && s.FunctionId != function.Id, ct);
        if (others + inputs.Count > Limits.MaxPerApp)
            return new(null, [new("", $"At most {Limits.MaxPerApp} schedules per app; the app's other functions have {others}.")], false);

        await db.Set<FunctionSchedule>().Where(s => s.FunctionId == function.Id).ExecuteDeleteAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = inputs.Select((input, i) => new FunctionSchedule
        {
            Id = Ids.New("sch_"),
            AppId = appId,
            FunctionId = function.Id,
            Cron = Normalize(input.Cron!),
            TimeZone = input.TimeZone ?? "UTC",
            RunAs = input.RunAs,
            Body = input.Body is { ValueKind: not JsonValueKind.Undefined } body ? body.GetRawText() : null,
            Enabled = input.Enabled ?? true,
            Position = i,
            CreatedAt = now,
        }).ToList();
        db.AddRange(rows);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);

        await SyncFunctionAsync(appId, function.Id, ct);
        return new(await ViewsAsync(rows, ct), null, false);
    }

    /// <summary>Makes the function's trigger group match its rows as they are now: missing or changed triggers stored, others removed.</summary>
    public async Task SyncFunctionAsync(string appId, string functionId, CancellationToken ct)
    {
        var rows = await RowsAsync(appId, functionId, ct);
        var scheduler = await schedulers.GetScheduler(ct);
        await EnsureJobAsync(scheduler, ct);
        await SyncGroupAsync(scheduler, functionId, rows.Where(r => r.Enabled).ToList(), ct);
    }

    /// <summary>Removes every trigger of a deleted function (its rows went with it).</summary>
    public async Task RemoveFunctionAsync(string functionId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await scheduler.UnscheduleJobs(GroupMatcher<TriggerKey>.GroupEquals(GroupOf(functionId)), ct);
    }

    /// <summary>At start: every function's triggers in line with its rows; groups of functions that are gone removed.</summary>
    public async Task ReconcileAsync(CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await EnsureJobAsync(scheduler, ct);
        List<FunctionSchedule> enabled;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            enabled = await db.Set<FunctionSchedule>().AsNoTracking().Where(s => s.Enabled).ToListAsync(ct);
        var byFunction = enabled.GroupBy(s => s.FunctionId).ToDictionary(g => g.Key, g => g.ToList());
        var groups = (await scheduler.GetTriggerGroupNames(ct)).Where(g => g.StartsWith(GroupPrefix, StringComparison.Ordinal)).ToList();
        foreach (var group in groups.Where(g => !byFunction.ContainsKey(g[GroupPrefix.Length..])))
            await scheduler.UnscheduleJobs(GroupMatcher<TriggerKey>.GroupEquals(group), ct);
        foreach (var (functionId, rows) in byFunction)
            await SyncGroupAsync(scheduler, functionId, rows, ct);
    }

    private static async Task EnsureJobAsync(IScheduler scheduler, CancellationToken ct)
    {
        if (await scheduler.GetJobDetail(JobKey, ct) is not null) return;
        var job = JobBuilder.Create<ScheduledFunctionJob>().WithIdentity(JobKey).StoreDurably().Build();
        try { await scheduler.AddJob(job, AddJobOptions.Replacing, ct); }
        catch (ObjectAlreadyExistsException) { } // another instance stored it meanwhile
    }

    private async Task SyncGroupAsync(IScheduler scheduler, string functionId, List<FunctionSchedule> enabled, CancellationToken ct)
    {
        var group = GroupOf(functionId);
        var wanted = enabled.ToDictionary(r => r.Id);
        foreach (var key in await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(group), ct))
            if (!wanted.ContainsKey(key.Name)) await scheduler.UnscheduleJob(key, ct);
        foreach (var row in enabled)
        {
            var key = new TriggerKey(row.Id, group);
            // An unchanged trigger is left alone: replacing it would forget a firing missed while the portal was down.
            if ((await scheduler.GetTrigger(key, ct))?.JobDataMap.GetString("spec") == Spec(row)) continue;
            if (BuildTrigger(row) is { } trigger) await scheduler.ScheduleJob(trigger, ScheduleJobOptions.Replacing, ct);
            else logger.LogWarning("Schedule {Schedule} has a cron or time zone that no longer parses; it does not fire", row.Id);
        }
    }

    private static string Spec(FunctionSchedule row) => row.Cron + "|" + row.TimeZone;

    /// <summary>
    /// The schedule's trigger. Missed firings: after downtime longer than the misfire threshold
    /// (`Butterbase:Scheduling:MisfireThresholdSeconds`, 60 s) the schedule runs once at once, then keeps its cadence
    /// (FireAndProceed: however many were missed, one run); a firing less late than the threshold simply runs late.
    /// </summary>
    internal static ITrigger? BuildTrigger(FunctionSchedule row)
    {
        var zone = FindTimeZone(row.TimeZone);
        if (zone is null || Parse(row.Cron, zone) is not { } expression) return null;
        return TriggerBuilder.Create().WithIdentity(row.Id, GroupOf(row.FunctionId)).ForJob(JobKey)
            .UsingJobData("schedule", row.Id).UsingJobData("spec", Spec(row))
            .WithCronSchedule(expression, c => c.InTimeZone(zone).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
            .Build();
    }

    /// <summary>The schedule and its function, both of the schedule's own app; nulls when either is gone.</summary>
    public async Task<(FunctionSchedule? Schedule, AppFunction? Function)> FindForRunAsync(string scheduleId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var schedule = await db.Set<FunctionSchedule>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == scheduleId, ct);
        if (schedule is null) return (null, null);
        // The app is the schedule's: a function is found by id within that app only (docs/security.md, "Scheduled functions").
        var function = await db.Set<AppFunction>().AsNoTracking().FirstOrDefaultAsync(f => f.Id == schedule.FunctionId && f.AppId == schedule.AppId, ct);
        return (schedule, function);
    }
}
