using System.Net;
using System.Text.Json;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Functions;
using Butterbase.Portal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace Butterbase.Portal.Tests.Functions;

/// <summary>Schedules across restarts and instances: missed firings after downtime, and one run per tick on a PostgreSQL cluster.</summary>
public sealed class ScheduleRecoveryTests
{
    /// <summary>Logs the tick the run is for, so duplicates show.</summary>
    private const string Tick = """
        export default function handler(ctx) {
          console.log(ctx.headers['x-butterbase-scheduled-at']);
          return { ok: true };
        }
        """;

    private static async Task DeployAsync(PortalApplication portal, TestApp app, string name, string code)
    {
        using var admin = portal.Http(app.ApiKey);
        var response = await admin.PostAsync($"v1/{app.Id}/functions", JsonAssert.Body(new { name, code }));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> PutAsync(PortalApplication portal, TestApp app, string name, object schedules)
    {
        using var admin = portal.Http(app.ApiKey);
        return await JsonAssert.OkAsync(await admin.PutAsync($"v1/{app.Id}/functions/{name}/schedules", JsonAssert.Body(schedules)));
    }

    private static async Task<IScheduler> SchedulerOf(PortalApplication portal) => await portal.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

    /// <summary>Every invocation of the function (any instance wrote it), after each instance flushed its log.</summary>
    private static async Task<List<JsonElement>> InvocationsAsync(TestApp app, string name, params PortalApplication[] portals)
    {
        foreach (var portal in portals) await portal.Services.GetRequiredService<ExecutionLog>().FlushAsync();
        using var admin = portals[0].Http(app.ApiKey);
        var page = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{app.Id}/functions/{name}/invocations?limit=100"));
        return page.GetProperty("items").EnumerateArray().ToList();
    }

    /// <summary>Firings in flight: with the persistent store, on every instance of the cluster.</summary>
    private static async Task<int> RunningAsync(IScheduler scheduler) => (await scheduler.QueryFireInstances(new FireInstanceQuery())).Items.Count;

    private static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not within {seconds} s: {what}.");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_schedule_missed_while_the_portal_was_down_runs_once_at_start_then_keeps_its_cadence()
    {
        var first = new PortalApplication { KeepDirectory = true };
        TestApp app;
        string directory = first.Directory;
        try
        {
            app = await first.CreateAppAsync();
            await DeployAsync(first, app, "hourly", Tick);
            // Once an hour, at a minute half an hour away: no regular tick can fall inside the test.
            var minute = (DateTime.UtcNow.Minute + 30) % 60;
            await PutAsync(first, app, "hourly", new[] { new { cron = $"{minute} * * * *" } });
        }
        finally { await first.DisposeAsync(); }

        // The portal was down while its firing came due: the stored next fire time lies 10 minutes in the past
        // (Quartz stores ticks; the CASE keeps the test honest should it store milliseconds).
        await using var again = new PortalApplication(directory: directory);
        await again.ExecuteSqlAsync("""
            UPDATE qrtz_triggers SET next_fire_time = next_fire_time
              - CASE WHEN next_fire_time > 100000000000000 THEN 24000000000 ELSE 2400000 END
            WHERE trigger_group LIKE 'fn:%'
            """);
        var started = DateTimeOffset.UtcNow;
        _ = again.Address; // start: Quartz finds the misfire (late by more than the 60 s threshold)
        await UntilAsync(async () => (await InvocationsAsync(app, "hourly", again)).Count > 0, "the missed run");
        var scheduler = await SchedulerOf(again);
        var key = (await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupStartsWith(FunctionSchedules.GroupPrefix))).Single();
        await UntilAsync(async () => await RunningAsync(scheduler) == 0, "no run still going");
        var runs = await InvocationsAsync(app, "hourly", again);

        var run = Assert.Single(runs); // ten minutes of misses (more for a minutely cron) are one run
        Assert.Equal("schedule", run.GetProperty("trigger").GetString());
        Assert.InRange(run.GetProperty("created_at").GetDateTimeOffset(), started.AddSeconds(-1), DateTimeOffset.UtcNow); // at start, not at the next tick
        // It is the missed tick's run (the handler sees which tick in x-butterbase-scheduled-at), ten minutes late.
        Assert.InRange(DateTimeOffset.Parse(run.GetProperty("logs")[0].GetProperty("message").GetString()!), started.AddMinutes(-11), started.AddMinutes(-9));
        var next = (await scheduler.GetTrigger(key))!.NextFireTimeUtc!.Value;
        Assert.InRange(next, DateTimeOffset.UtcNow.AddMinutes(20), DateTimeOffset.UtcNow.AddMinutes(61)); // back on its hourly cadence
    }

    [Fact, Trait("Database", "Postgres")]
    public async Task On_postgres_two_instances_run_each_tick_of_a_schedule_exactly_once()
    {
        // PostgreSQL only (scripts/test.sh leaves it out of the SQLite pass): SQLite is one machine, one instance.
        Assert.True(PortalApplication.OnPostgres, "This test needs PostgreSQL: set BUTTERBASE_TEST_POSTGRES (scripts/postgres.sh prints it).");
        await using var a = new PortalApplication();
        var app = await a.CreateAppAsync();
        await using var b = new PortalApplication(directory: a.Directory);
        _ = b.Address;
        await DeployAsync(a, app, "tick", Tick);
        var schedule = (await PutAsync(a, app, "tick", new[] { new { cron = "0 0 1 1 *" } }))[0];
        var id = schedule.GetProperty("id").GetString()!;
        var function = await a.Services.GetRequiredService<Portal.Functions.Functions>().FindAsync(app.Id, "tick", default);

        // The schedule's own trigger (same key, job and job data), but on a seconds cron, which the API does not
        // offer: six ticks in a few seconds instead of six minutes. Both instances' schedulers compete for each.
        var key = new TriggerKey(id, FunctionSchedules.GroupOf(function!.Id));
        var start = DateTimeOffset.UtcNow.AddSeconds(1);
        var trigger = TriggerBuilder.Create().WithIdentity(key).ForJob(FunctionSchedules.JobKey)
            .UsingJobData("schedule", id).UsingJobData("spec", "test")
            .WithCronSchedule("* * * * * ?").StartAt(start).EndAt(start.AddSeconds(5.5)).Build();
        var schedulerA = await SchedulerOf(a);
        var schedulerB = await SchedulerOf(b);
        await schedulerA.ScheduleJob(trigger, ScheduleJobOptions.Replacing);

        await UntilAsync(async () => await schedulerA.GetTrigger(key) is null, "the last tick", seconds: 20);
        await UntilAsync(async () => await RunningAsync(schedulerA) == 0, "no run still going on either instance");
        var ticks = (await InvocationsAsync(app, "tick", a, b)).Select(r => r.GetProperty("logs")[0].GetProperty("message").GetString()!).ToList();

        Assert.InRange(ticks.Count, 5, 7);
        Assert.Equal(ticks.Count, ticks.Distinct().Count()); // no tick ran twice
    }
}
