using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Execution.Pages;
using Butterbase.Portal.Functions;
using Butterbase.Portal.Functions.Pages;
using Butterbase.Portal.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Components;

/// <summary>
/// An app over its log quota sees "Log truncated" on its Executions page and on its functions' Invocations, since when;
/// another app, under its quota, sees no such mark. (Without the quotas nothing was dropped and nothing said so.)
/// </summary>
public sealed class LogTruncatedViewsTests : PortalComponentContext
{
    private App _flooder = default!, _quiet = default!;

    public LogTruncatedViewsTests()
    {
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Butterbase:Executions:MaxRowsPerApp"] = "10",
            ["Butterbase:Executions:MaxInvocationRowsPerApp"] = "5",
        }).Build());
        Services.AddExecution();
        Services.AddSingleton<TokenRefresher>();
        AddFunctions();
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Service<ExecutionLog>().StartAsync(default);
        _flooder = await Service<AppRegistry>().CreateAsync("Flooder", DeveloperId);
        _quiet = await Service<AppRegistry>().CreateAsync("Quiet", DeveloperId);
        var functions = Service<Butterbase.Portal.Functions.Functions>();
        foreach (var app in new[] { _flooder, _quiet })
            await functions.DeployCheckedAsync(app.Id, new FunctionDeploy("chatty", "export default () => ({ ok: true })", null, null), default);

        var log = Service<ExecutionLog>();
        var start = DateTime.UtcNow.AddMinutes(-10);
        for (var i = 0; i < 40; i++)
        {
            var app = i % 10 == 0 ? _quiet : _flooder;
            log.Add(new ExecutionRecord
            {
                Id = Ids.New("ex_"), AppId = app.Id, UserId = "u1", ToolName = "ASANA_GET_PROJECTS", ToolkitSlug = "asana", Successful = true,
                CreatedAt = start.AddSeconds(i),
            });
            log.Add(new FunctionInvocation
            {
                Id = Ids.New("inv_"), AppId = app.Id, FunctionName = "chatty", Outcome = "ok", HttpStatus = 200, FunctionVersion = 1,
                CreatedAt = start.AddSeconds(i),
            });
        }
        await log.FlushAsync();
    }

    [Fact]
    public void The_executions_page_of_an_app_over_its_quota_says_its_log_is_truncated_and_another_apps_does_not()
    {
        var flooded = Render<ExecutionsPage>(p => p.Add(x => x.AppId, _flooder.Id));
        flooded.WaitForAssertion(() => Assert.Contains("Log truncated", flooded.Find("[data-testid=log-truncated]").TextContent));
        Assert.Contains("quota of 10 executions", flooded.Find("[data-testid=log-truncated]").TextContent);

        var quiet = Render<ExecutionsPage>(p => p.Add(x => x.AppId, _quiet.Id));
        quiet.WaitForAssertion(() => Assert.Equal(4, quiet.FindAll("[data-testid=execution-tool]").Count)); // all of its rows
        Assert.Empty(quiet.FindAll("[data-testid=log-truncated]"));
    }

    [Fact]
    public void The_invocations_of_a_function_of_an_app_over_its_quota_say_the_log_is_truncated_and_another_apps_do_not()
    {
        var flooded = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _flooder.Id).Add(x => x.Name, "chatty"));
        flooded.WaitForAssertion(() => Assert.Contains("quota of 5 invocations", flooded.Find("[data-testid=log-truncated]").TextContent));

        var quiet = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _quiet.Id).Add(x => x.Name, "chatty"));
        quiet.WaitForAssertion(() => Assert.NotNull(quiet.Find("[data-testid=invocations-table]")));
        Assert.Empty(quiet.FindAll("[data-testid=log-truncated]"));
    }
}
