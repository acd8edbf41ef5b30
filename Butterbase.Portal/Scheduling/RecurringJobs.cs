using Quartz;

namespace Butterbase.Portal.Scheduling;

/// <summary>
/// The recurring jobs features declared (<see cref="SchedulingSetup.AddRecurringJob"/>), kept as durable jobs with one
/// simple trigger each in the job store. A missed pass is not caught up (the next one does the work), and
/// <see cref="RunNowAsync"/> fires one at once, on whichever instance is free first.
/// </summary>
public sealed class RecurringJobs(ISchedulerFactory schedulers, IEnumerable<RecurringJob> jobs, ILogger<RecurringJobs> logger)
{
    public const string Group = "recurring";

    public static JobKey KeyOf(string name) => new(name, Group);

    /// <summary>Stores each declared job and its trigger; a trigger whose interval is unchanged is left as it is (its next fire time too).</summary>
    public async Task EnsureAsync(CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        foreach (var job in jobs)
        {
            var key = KeyOf(job.Name);
            var triggerKey = new TriggerKey(job.Name, Group);
            if (await scheduler.GetTrigger(triggerKey, ct) is ISimpleTrigger existing && existing.RepeatInterval == job.Every
                && await scheduler.GetJobDetail(key, ct) is { } detail && detail.JobType.Type == job.JobType)
                continue;
            var jobDetail = JobBuilder.Create().OfType(job.JobType).WithIdentity(key).StoreDurably().Build();
            var trigger = TriggerBuilder.Create().WithIdentity(triggerKey).ForJob(key)
                .StartAt(DateTimeOffset.UtcNow + job.Every)
                .WithSimpleSchedule(s => s.WithInterval(job.Every).RepeatForever()
                    .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)) // a missed pass is not caught up
                .Build();
            await scheduler.ScheduleJob(jobDetail, [trigger], ScheduleJobOptions.Replacing, ct);
        }
    }

    /// <summary>Fires the job now (in addition to its cadence). With [DisallowConcurrentExecution] it waits for a running pass to end.</summary>
    public async Task RunNowAsync(string name, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await scheduler.TriggerJob(KeyOf(name), new JobDataMap(), ct);
    }

    /// <summary><see cref="RunNowAsync"/> for callers that must not wait or fail (a request that queued work): the cadence picks it up otherwise.</summary>
    public void RunSoon(string name) => _ = Task.Run(async () =>
    {
        try { await RunNowAsync(name); }
        catch (Exception e) { logger.LogWarning(e, "Could not fire {Job} now; its next regular pass will do the work", name); }
    });
}

/// <summary>At start: store the recurring jobs and bring the function schedules' triggers in line with their rows.</summary>
public sealed class SchedulingStartup(RecurringJobs recurring, IEnumerable<IScheduleReconciler> reconcilers) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await recurring.EnsureAsync(ct);
        foreach (var reconciler in reconcilers) await reconciler.ReconcileAsync(ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>A feature whose triggers mirror rows of its own (the rows are the truth): brought in line at start.</summary>
public interface IScheduleReconciler
{
    Task ReconcileAsync(CancellationToken ct);
}
