using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Execution.Pages;
using Butterbase.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Components;

/// <summary>Executions as a log people search when something failed: text search, a time range, paging past 200, export.</summary>
public sealed class ExecutionsPageTests : PortalComponentContext
{
    private App _app = default!;

    public ExecutionsPageTests()
    {
        Services.AddExecution();
        Services.AddSingleton<TokenRefresher>();
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
        var now = DateTime.UtcNow;
        await using var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        // 205 recent successful runs, one recent failure of another user, and one old run from ten days ago.
        for (var i = 0; i < 205; i++) db.Executions.Add(Row($"ex_ok{i:D5}", "alice", successful: true, now.AddSeconds(-i)));
        db.Executions.Add(Row("ex_failed0001", "=cmd|calc", successful: false, now.AddMinutes(-5), "no_connection"));
        db.Executions.Add(Row("ex_old0000001", "bob", successful: true, now.AddDays(-10)));
        await db.SaveChangesAsync();
    }

    private ExecutionRecord Row(string id, string user, bool successful, DateTime at, string? error = null) => new()
    {
        Id = id, AppId = _app.Id, UserId = user, ToolName = "SANDBOX_SEND_MESSAGE", ToolkitSlug = "sandbox", Successful = successful,
        ErrorCode = error, DurationMs = 12, CreatedAt = at, Source = ExecutionSources.Api,
    };

    [Fact]
    public void Search_time_range_paging_past_200_and_export_of_what_is_shown()
    {
        var page = Render<ExecutionsPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Equal(200, page.FindAll("[data-testid=execution-tool]").Count));

        page.Find("[data-testid=load-more-executions]").Click();
        page.WaitForAssertion(() => Assert.Equal(207, page.FindAll("[data-testid=execution-tool]").Count));
        Assert.Empty(page.FindAll("[data-testid=load-more-executions]"));

        // Search by error code finds the refused run among the 207.
        page.Find("input[data-testid=execution-search], [data-testid=execution-search] input").Input("no_conn");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=execution-tool]")), TimeSpan.FromSeconds(5));
        var csv = Uri.UnescapeDataString(page.Find("[data-testid=export-csv]").GetAttribute("href")!);
        Assert.StartsWith("data:text/csv", csv);
        Assert.Contains("ex_failed0001", csv);
        Assert.Contains("'=cmd|calc", csv); // a spreadsheet shows it as text, not as a formula
        Assert.DoesNotContain("ex_ok00001", csv);
        var json = Uri.UnescapeDataString(page.Find("[data-testid=export-json]").GetAttribute("href")!);
        Assert.Contains("\"error_code\": \"no_connection\"", json);
    }

    [Fact]
    public async Task The_time_range_leaves_out_older_runs()
    {
        var page = Render<ExecutionsPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Equal(200, page.FindAll("[data-testid=execution-tool]").Count));
        page.Find("input[data-testid=execution-search], [data-testid=execution-search] input").Input("ex_old");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=execution-tool]")), TimeSpan.FromSeconds(5));

        await page.InvokeAsync(() => page.FindComponents<MudBlazor.MudSelect<string>>()
            .Single(s => s.Instance.Label == "Time range").Instance.ValueChanged.InvokeAsync("7d"));
        page.WaitForAssertion(() => Assert.Contains("No runs match these filters", page.Markup));
    }
}
