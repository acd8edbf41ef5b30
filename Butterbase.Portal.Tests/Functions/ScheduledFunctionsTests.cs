using System.Net;
using System.Text.Json;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Functions;
using Butterbase.Portal.Tests.Execution;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace Butterbase.Portal.Tests.Functions;

/// <summary>Gmail and Google Calendar connected for "ada"; schedules may fire at most every 5 minutes here (to test the bound).</summary>
public sealed class ScheduleFixture() : CuratedToolsFixture(FakeProviderStyle.Google, new Dictionary<string, string>
{
    ["gmail"] = "",
    ["google-calendar"] = "",
})
{
    protected override void Configure(PortalApplication portal) => portal.With("Butterbase:Functions:Schedules:MinIntervalSeconds", "300");
}

/// <summary>
/// Scheduled functions (docs/api.md "Scheduled functions"): the schedules API, runs fired through the real Quartz scheduler
/// (a firing is asked for now rather than waited for), run-as and service rights, pause, the app boundary.
/// </summary>
public sealed class ScheduledFunctionsTests(ScheduleFixture fx) : IClassFixture<ScheduleFixture>
{
    private string Functions => $"v1/{fx.App.Id}/functions";

    private async Task DeployAsync(string name, string code, PortalApplication? portal = null, TestApp? app = null)
    {
        portal ??= fx.Portal; app ??= fx.App;
        using var admin = portal.Http(app.ApiKey);
        var response = await admin.PostAsync($"v1/{app.Id}/functions", JsonAssert.Body(new { name, code }));
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"deploy {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<JsonElement> PutAsync(string name, object schedules)
    {
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        return await JsonAssert.OkAsync(await admin.PutAsync($"{Functions}/{name}/schedules", JsonAssert.Body(schedules)));
    }

    private const string Echo = """
        export default async function handler(ctx) {
          console.log(JSON.stringify({ user: ctx.user, body: ctx.body, schedule: ctx.headers['x-butterbase-schedule-id'] ?? null }));
          return { ok: true };
        }
        """;

    [Fact]
    public async Task Put_then_get_round_trips_the_schedules_with_their_next_run_and_only_enabled_ones_have_a_trigger()
    {
        await DeployAsync("digest", Echo);
        var stored = await PutAsync("digest", new object[]
        {
            new { cron = "0 9 * * 1-5", timeZone = "Europe/Berlin", runAs = "ada", body = new { kind = "daily" }, enabled = true },
            new { cron = " 30  4 1 * * ", enabled = false },
        });

        Assert.Equal(2, stored.GetArrayLength());
        var weekday = stored[0];
        Assert.StartsWith("sch_", weekday.GetProperty("id").GetString());
        Assert.Equal("0 9 * * 1-5", weekday.GetProperty("cron").GetString());
        Assert.Equal("Europe/Berlin", weekday.GetProperty("timeZone").GetString());
        Assert.Equal("ada", weekday.GetProperty("runAs").GetString());
        Assert.Equal("daily", weekday.GetProperty("body").GetProperty("kind").GetString());
        var next = weekday.GetProperty("next_run_at").GetDateTimeOffset();
        var local = TimeZoneInfo.ConvertTime(next, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        Assert.Equal((9, 0), (local.Hour, local.Minute));
        Assert.InRange(local.DayOfWeek, DayOfWeek.Monday, DayOfWeek.Friday);
        Assert.InRange(next, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(4));

        var paused = stored[1];
        Assert.Equal("30 4 1 * *", paused.GetProperty("cron").GetString());
        Assert.Equal("UTC", paused.GetProperty("timeZone").GetString());
        Assert.Equal(JsonValueKind.Null, paused.GetProperty("runAs").ValueKind);
        Assert.False(paused.GetProperty("enabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, paused.GetProperty("next_run_at").ValueKind);

        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var listed = await JsonAssert.OkAsync(await admin.GetAsync($"{Functions}/digest/schedules"));
        Assert.Equal(stored.GetRawText(), listed.GetRawText());

        var scheduler = await Scheduler();
        var function = await fx.Portal.Services.GetRequiredService<Portal.Functions.Functions>().FindAsync(fx.App.Id, "digest", default);
        var triggers = await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(FunctionSchedules.GroupOf(function!.Id)));
        Assert.Equal([weekday.GetProperty("id").GetString()], triggers.Select(t => t.Name));

        // A GET's list PUT back as is (ids and next_run_at ignored) is accepted; an empty list removes rows and triggers.
        await PutAsync("digest", JsonSerializer.Deserialize<object>(listed.GetRawText())!);
        Assert.Equal(0, (await PutAsync("digest", Array.Empty<object>())).GetArrayLength());
        Assert.Empty(await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(FunctionSchedules.GroupOf(function.Id))));
    }

    [Fact]
    public async Task Bad_crons_unknown_time_zones_too_many_and_too_frequent_schedules_are_422_with_details_and_nothing_changes()
    {
        await DeployAsync("strict", Echo);
        await PutAsync("strict", new[] { new { cron = "0 12 * * *" } });
        using var admin = fx.Portal.Http(fx.App.ApiKey);

        var error = await JsonAssert.ErrorAsync(await admin.PutAsync($"{Functions}/strict/schedules", JsonAssert.Body(new object[]
        {
            new { cron = "0 0 9 * * ?" },                 // Quartz's six fields
            new { cron = "61 * * * *" },                  // no minute 61
            new { cron = "0 9 * * *", timeZone = "Mars/Olympus_Mons" },
            new { cron = "*/2 * * * *" },                 // every 2 minutes: under this portal's 5-minute bound
            new { cron = "0 0 30 2 *" },                  // never fires
            new { cron = "0 9 * * *", runAs = "" },
        })), (HttpStatusCode)422, "validation_failed");
        var details = error.GetProperty("details").EnumerateArray().ToDictionary(d => d.GetProperty("field").GetString()!, d => d.GetProperty("message").GetString()!);
        Assert.Contains("five fields", details["[0].cron"]);
        Assert.Contains("not a valid cron expression", details["[1].cron"]);
        Assert.Contains("IANA", details["[2].timeZone"]);
        Assert.Contains("at most once every 300 s", details["[3].cron"]);
        Assert.Contains("never fires", details["[4].cron"]);
        Assert.Contains("runAs", details["[5].runAs"]);

        var tooMany = await JsonAssert.ErrorAsync(await admin.PutAsync($"{Functions}/strict/schedules",
            JsonAssert.Body(Enumerable.Range(0, 11).Select(i => new { cron = $"{i} 3 * * *" }).ToArray())), (HttpStatusCode)422, "validation_failed");
        Assert.Contains("At most 10 schedules per function", tooMany.GetProperty("details")[0].GetProperty("message").GetString());

        var kept = await JsonAssert.OkAsync(await admin.GetAsync($"{Functions}/strict/schedules"));
        Assert.Equal("0 12 * * *", Assert.Single(kept.EnumerateArray()).GetProperty("cron").GetString());
        await JsonAssert.ErrorAsync(await admin.GetAsync($"{Functions}/nope/schedules"), HttpStatusCode.NotFound, "function_not_found");
    }

    [Fact]
    public async Task The_documented_asUser_handler_runs_from_a_schedule_as_its_run_as_user_and_is_logged_with_trigger_schedule()
    {
        fx.Api.On("POST", "/gmail/v1/users/me/messages/send", _ => (200, new { id = "msg_sched", threadId = "t1", labelIds = new[] { "SENT" } }, null));
        fx.Api.On("GET", "/calendar/v3/calendars/primary/events", _ => (200, new { kind = "calendar#events", items = Array.Empty<object>() }, null));
        // The documented handler (docs/api.md "Documented examples"): as the calling user, then asUser (here the same user, which a user may name).
        await DeployAsync("cron-welcome", """
            const userId = 'ada';
            export default async function handler(ctx) {
              const result = await ctx.integrations.execute('GMAIL_SEND_EMAIL', { to: ctx.body.email, subject: 'Welcome!', body: 'Thanks for signing up.' });
              const events = await ctx.integrations.asUser(userId).execute('GOOGLECALENDAR_EVENTS_LIST', { timeMin: new Date().toISOString() });
              console.log(JSON.stringify({ user: ctx.user, sent: result.data?.successful ?? false, listed: events.data?.successful ?? false }));
              return { ok: true };
            }
            """);
        var schedule = (await PutAsync("cron-welcome", new[] { new { cron = "0 8 * * *", runAs = "ada", body = new { email = "new.user@example.com" } } }))[0];
        var sendsBefore = fx.Api.Requests.Count(r => r.Path == "/gmail/v1/users/me/messages/send");

        await FireNowAsync(schedule.GetProperty("id").GetString()!);

        var run = await InvocationAsync("cron-welcome");
        Assert.Equal("schedule", run.GetProperty("trigger").GetString());
        Assert.Equal("ok", run.GetProperty("outcome").GetString());
        Assert.Equal("ada", run.GetProperty("user_id").GetString());
        var logged = JsonDocument.Parse(run.GetProperty("logs")[0].GetProperty("message").GetString()!).RootElement;
        Assert.Equal("ada", logged.GetProperty("user").GetProperty("id").GetString());
        Assert.True(logged.GetProperty("sent").GetBoolean());
        Assert.True(logged.GetProperty("listed").GetBoolean());
        Assert.Equal(sendsBefore + 1, fx.Api.Requests.Count(r => r.Path == "/gmail/v1/users/me/messages/send"));
    }

    [Fact]
    public async Task A_run_as_user_cannot_act_for_another_user_but_a_service_rights_schedule_can_with_asUser()
    {
        fx.Api.On("GET", "/calendar/v3/calendars/primary/events", _ => (200, new { kind = "calendar#events", items = Array.Empty<object>() }, null));
        await DeployAsync("nightly", """
            export default async function handler(ctx) {
              const asAda = await ctx.integrations.asUser('ada').execute('GOOGLECALENDAR_EVENTS_LIST', { timeMin: '2026-01-01T00:00:00Z' });
              console.log(JSON.stringify({ user: ctx.user, ok: asAda.data?.successful ?? false, error: asAda.error?.code ?? null }));
            }
            """);
        var schedules = await PutAsync("nightly", new object[] { new { cron = "0 2 * * *" }, new { cron = "0 3 * * *", runAs = "grace" } });

        await FireNowAsync(schedules[0].GetProperty("id").GetString()!);
        var service = await InvocationAsync("nightly");
        Assert.Equal(JsonValueKind.Null, service.GetProperty("user_id").ValueKind);
        var serviceLog = JsonDocument.Parse(service.GetProperty("logs")[0].GetProperty("message").GetString()!).RootElement;
        Assert.Equal(JsonValueKind.Null, serviceLog.GetProperty("user").ValueKind);
        Assert.True(serviceLog.GetProperty("ok").GetBoolean());

        await FireNowAsync(schedules[1].GetProperty("id").GetString()!);
        var asGrace = await InvocationAsync("nightly", after: service.GetProperty("id").GetString());
        Assert.Equal("grace", asGrace.GetProperty("user_id").GetString());
        Assert.Equal("forbidden", JsonDocument.Parse(asGrace.GetProperty("logs")[0].GetProperty("message").GetString()!).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_paused_schedule_has_no_trigger_and_a_stale_firing_of_it_runs_nothing()
    {
        await DeployAsync("paused", Echo);
        var schedule = (await PutAsync("paused", new[] { new { cron = "0 6 * * *", enabled = false } }))[0];
        var id = schedule.GetProperty("id").GetString()!;
        var function = await fx.Portal.Services.GetRequiredService<Portal.Functions.Functions>().FindAsync(fx.App.Id, "paused", default);
        Assert.Empty(await (await Scheduler()).GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(FunctionSchedules.GroupOf(function!.Id))));

        await FireNowAsync(id); // as if a trigger had outlived the pause
        await FireNowAsync(id);

        // Resumed: a trigger again, and a firing runs. Fired after the stale ones, it is the only run in the log.
        var resumed = (await PutAsync("paused", new[] { new { cron = "0 6 * * *", enabled = true } }))[0];
        Assert.NotEqual(JsonValueKind.Null, resumed.GetProperty("next_run_at").ValueKind);
        await FireNowAsync(resumed.GetProperty("id").GetString()!);
        Assert.Equal("schedule", (await InvocationAsync("paused")).GetProperty("trigger").GetString());
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var page = await JsonAssert.OkAsync(await admin.GetAsync($"{Functions}/paused/invocations"));
        Assert.Equal(1, page.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_deleted_function_loses_its_schedules_and_triggers_and_a_redeploy_keeps_them()
    {
        await DeployAsync("temp", Echo);
        await PutAsync("temp", new[] { new { cron = "15 * * * *" } });
        var functions = fx.Portal.Services.GetRequiredService<Portal.Functions.Functions>();
        var function = await functions.FindAsync(fx.App.Id, "temp", default);
        var group = GroupMatcher<TriggerKey>.GroupEquals(FunctionSchedules.GroupOf(function!.Id));

        await DeployAsync("temp", Echo.Replace("ok: true", "ok: 'v2'"));
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        Assert.Single((await JsonAssert.OkAsync(await admin.GetAsync($"{Functions}/temp/schedules"))).EnumerateArray());
        Assert.Single(await (await Scheduler()).GetTriggerKeys(group));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Functions}/temp")).StatusCode);
        Assert.Empty(await (await Scheduler()).GetTriggerKeys(group));
        await DeployAsync("temp", Echo);
        Assert.Empty((await JsonAssert.OkAsync(await admin.GetAsync($"{Functions}/temp/schedules"))).EnumerateArray());
    }

    [Fact]
    public async Task Another_apps_key_cannot_read_or_replace_a_schedule_and_a_schedule_runs_only_its_own_apps_function()
    {
        var other = await fx.Portal.CreateAppAsync("Other");
        await DeployAsync("same-name", "export default () => ({ app: 'A' });");
        await DeployAsync("same-name", "export default () => ({ app: 'B' });", app: other);
        var schedule = (await PutAsync("same-name", new[] { new { cron = "0 1 * * *" } }))[0];

        using var asOther = fx.Portal.Http(other.ApiKey);
        Assert.True((await asOther.GetAsync($"{Functions}/same-name/schedules")).StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden);
        Assert.True((await asOther.PutAsync($"{Functions}/same-name/schedules", JsonAssert.Body(Array.Empty<object>()))).StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden);
        Assert.Empty((await JsonAssert.OkAsync(await asOther.GetAsync($"v1/{other.Id}/functions/same-name/schedules"))).EnumerateArray());

        await FireNowAsync(schedule.GetProperty("id").GetString()!);
        var run = await InvocationAsync("same-name");
        Assert.Equal("schedule", run.GetProperty("trigger").GetString());
        var page = await JsonAssert.OkAsync(await asOther.GetAsync($"v1/{other.Id}/functions/same-name/invocations"));
        Assert.Equal(0, page.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Invocations_say_what_started_them()
    {
        await DeployAsync("who", Echo);
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{fx.App.Id}/fn/who", JsonAssert.Body(new { })));
        Assert.Equal("http", (await InvocationAsync("who")).GetProperty("trigger").GetString());

        // A caller cannot pose as a schedule: x-butterbase-* headers are the host's.
        using var forged = new HttpRequestMessage(HttpMethod.Post, $"v1/{fx.App.Id}/fn/who") { Content = JsonAssert.Body(new { }) };
        forged.Headers.Add("X-Butterbase-Schedule-Id", "sch_forged");
        await JsonAssert.OkAsync(await admin.SendAsync(forged));
        var logged = JsonDocument.Parse((await InvocationAsync("who")).GetProperty("logs")[0].GetProperty("message").GetString()!).RootElement;
        Assert.Equal(JsonValueKind.Null, logged.GetProperty("schedule").ValueKind);
    }

    private async Task<IScheduler> Scheduler() => await fx.Portal.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

    /// <summary>Asks the real scheduler for a firing of the schedule now (the same job, job data and path as its cron trigger).</summary>
    private async Task FireNowAsync(string scheduleId) =>
        await (await Scheduler()).TriggerJob(FunctionSchedules.JobKey, new JobDataMap { ["schedule"] = scheduleId });

    /// <summary>The function's newest invocation (newer than <paramref name="after"/>), waiting up to 10 s for it to be written.</summary>
    private async Task<JsonElement> InvocationAsync(string name, string? after = null)
    {
        var log = fx.Portal.Services.GetRequiredService<ExecutionLog>();
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? lastSeen = null;
        while (true)
        {
            await log.FlushAsync();
            var page = await JsonAssert.OkAsync(await admin.GetAsync($"{Functions}/{name}/invocations?limit=1"));
            if (page.GetProperty("items").GetArrayLength() > 0)
            {
                var item = page.GetProperty("items")[0];
                lastSeen = item.GetProperty("id").GetString();
                if (after is null || lastSeen != after) return item;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No new invocation of {name} within 10 s (last: {lastSeen ?? "none"}).");
            await Task.Delay(100);
        }
    }
}
