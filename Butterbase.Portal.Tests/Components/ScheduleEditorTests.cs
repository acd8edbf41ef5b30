using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Functions;
using Butterbase.Portal.Functions.Pages;
using Butterbase.Portal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

/// <summary>The schedule editor on a function's page: inline cron and time-zone checks, the next runs as a hint, saving rows and triggers.</summary>
public sealed class ScheduleEditorTests : PortalComponentContext
{
    private App _app = default!;
    private bool _popovers;

    public ScheduleEditorTests()
    {
        Services.AddExecution();
        Services.AddSingleton<TokenRefresher>();
        AddFunctions();
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
        // Deployed without Deno's check (not what this test is about): the editor needs a function row.
        await Service<Butterbase.Portal.Functions.Functions>().DeployCheckedAsync(_app.Id, new FunctionDeploy("digest", "export default () => ({});", null, null), default, codeChecked: true);
    }

    private IRenderedComponent<ScheduleEditor> RenderEditor(string appId, bool canChange = true)
    {
        if (!_popovers) { Render<MudPopoverProvider>(); _popovers = true; }
        return Render<ScheduleEditor>(p => p.Add(x => x.AppId, appId).Add(x => x.FunctionName, "digest").Add(x => x.CanChange, canChange));
    }

    [Fact]
    public async Task A_cron_is_checked_as_it_is_typed_shows_its_next_runs_and_saves_as_a_row_and_a_trigger()
    {
        var editor = RenderEditor(_app.Id);
        editor.WaitForAssertion(() => Assert.Contains("No schedules", editor.Find("[data-testid=empty-state]").TextContent));
        editor.Find("[data-testid=add-first-schedule]").Click();

        editor.Find("[data-testid=schedule-cron]").Input("0 9 * *");
        Assert.Contains("This one has 4 fields", editor.Markup);
        Assert.True(editor.Find("button[data-testid=save-schedules]").HasAttribute("disabled"));
        editor.Find("[data-testid=schedule-timezone]").Input("Berlin");
        Assert.Contains("Not an IANA time zone", editor.Markup);

        editor.Find("[data-testid=schedule-cron]").Input("30 7 * * 1-5");
        editor.Find("[data-testid=schedule-timezone]").Input("Europe/Berlin");
        editor.Find("[data-testid=schedule-runas]").Input("ada");
        Assert.DoesNotContain("This one has", editor.Markup);
        Assert.Contains("07:30 (Europe/Berlin)", editor.Markup); // the next runs, in the schedule's zone
        Assert.Contains("ctx.user = ada", editor.Markup);
        Assert.Contains("Not saved yet", editor.Find("[data-testid=schedule-next]").TextContent);

        editor.Find("button[data-testid=save-schedules]").Click();
        editor.WaitForAssertion(() => Assert.Contains("Next run", editor.Find("[data-testid=schedule-next]").TextContent));
        var function = await Service<Butterbase.Portal.Functions.Functions>().FindAsync(_app.Id, "digest", default);
        var row = Assert.Single(await Service<FunctionSchedules>().RowsAsync(_app.Id, function!.Id, default));
        Assert.Equal(("30 7 * * 1-5", "Europe/Berlin", "ada", true), (row.Cron, row.TimeZone, row.RunAs, row.Enabled));
        var scheduler = await Service<Quartz.ISchedulerFactory>().GetScheduler();
        Assert.NotNull(await scheduler.GetTrigger(new Quartz.TriggerKey(row.Id, FunctionSchedules.GroupOf(function.Id))));

        // Paused and saved: the row stays, its trigger goes, the editor says so.
        editor.Find("[data-testid=schedule-enabled]").Change(false);
        editor.Find("button[data-testid=save-schedules]").Click();
        editor.WaitForAssertion(() => Assert.Contains("Paused", editor.Find("[data-testid=schedule-next]").TextContent));
        Assert.False(Assert.Single(await Service<FunctionSchedules>().RowsAsync(_app.Id, function.Id, default)).Enabled);
    }

    [Fact]
    public async Task A_viewer_gets_no_live_control_and_a_non_member_saving_changes_nothing()
    {
        var viewer = RenderEditor(_app.Id, canChange: false);
        viewer.WaitForAssertion(() => Assert.True(viewer.Find("button[data-testid=add-first-schedule]").HasAttribute("disabled")));

        // An app the signed-in developer is no member of, with a form that (wrongly) let them edit: the save asks the database.
        var other = await Service<AppRegistry>().CreateAsync("Other", "dev_stranger");
        await Service<Butterbase.Portal.Functions.Functions>().DeployCheckedAsync(other.Id, new FunctionDeploy("digest", "export default () => ({});", null, null), default, codeChecked: true);
        var editor = RenderEditor(other.Id);
        editor.WaitForAssertion(() => editor.Find("[data-testid=add-first-schedule]").Click());
        editor.Find("button[data-testid=save-schedules]").Click();
        var function = await Service<Butterbase.Portal.Functions.Functions>().FindAsync(other.Id, "digest", default);
        Assert.Empty(await Service<FunctionSchedules>().RowsAsync(other.Id, function!.Id, default));
    }
}
