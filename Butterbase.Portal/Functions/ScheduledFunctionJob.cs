using Quartz;

namespace Butterbase.Portal.Functions;

/// <summary>
/// One firing of a function's schedule, on whichever instance acquired the trigger (exactly one on a PostgreSQL
/// cluster). The trigger carries only the schedule's id; app, function, run-as user and body are read from the
/// schedule's row now, so a paused, edited or deleted schedule never runs as it was, and a schedule only ever runs its
/// own app's function (docs/security.md, "Scheduled functions"). The run takes the same path as an HTTP invocation:
/// the app's concurrency cap, the worker pool, the invocation log (with `trigger: "schedule"`).
/// Not [DisallowConcurrentExecution]: every schedule fires this one job, and they must not wait for each other.
/// </summary>
public sealed class ScheduledFunctionJob(FunctionSchedules schedules, Functions functions, Outbound.PublicOrigin origin, ILogger<ScheduledFunctionJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var scheduleId = context.MergedJobDataMap.GetString("schedule");
        if (scheduleId is null) return;
        var (schedule, function) = await schedules.FindForRunAsync(scheduleId, cancellationToken);
        if (schedule is null || function is null || !schedule.Enabled)
        {
            // A trigger that outlived its row (a change whose trigger update failed, a function deleted meanwhile): remove
            // it. Only a schedule's own trigger: a one-off firing (TriggerJob) is in Quartz's manual group and ends by itself.
            if (context.Trigger.Key.Group.StartsWith(FunctionSchedules.GroupPrefix, StringComparison.Ordinal))
                await context.Scheduler.UnscheduleJob(context.Trigger.Key, cancellationToken);
            return;
        }

        var request = new FunctionRuntime.Request(schedule.Body ?? "", "POST",
            new Dictionary<string, string>
            {
                ["content-type"] = "application/json",
                ["x-butterbase-schedule-id"] = schedule.Id,
                // The tick this run is for (it may start late after downtime): lets a handler tell its runs apart.
                ["x-butterbase-scheduled-at"] = (context.ScheduledFireTimeUtc ?? context.FireTimeUtc).ToString("O"),
            },
            new Dictionary<string, string>());
        // RunAs null = service rights, exactly as an API-key invocation (FunctionsApi passes null for the API key).
        var (outcome, invocationId) = await functions.InvokeAsync(function, request, schedule.RunAs, origin.Value, cancellationToken, InvocationTrigger.Schedule);
        if (outcome is not null && outcome.Kind != FunctionRuntime.Outcome.Ok)
            logger.LogInformation("Scheduled run {Invocation} of {Function} ended {Outcome}", invocationId, function.Name, outcome.Kind);
    }
}
