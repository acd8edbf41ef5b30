using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Execution.Pages;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Components;

/// <summary>
/// The Playground's tool picker: it searches a toolkit of any size as you type, and shows the scopes the chosen tool needs
/// (docs/architecture.md "Scopes per tool").
/// </summary>
public sealed class PlaygroundScopesTests : PortalComponentContext
{
    private App _app = default!;

    public PlaygroundScopesTests()
    {
        // What the page's ToolRunner needs beside the shared context (as RawRequestTabTests registers it).
        Services.AddSingleton<Butterbase.Portal.Outbound.OutboundPolicy>();
        Services.AddOptions<Butterbase.Portal.Outbound.OutboundOptions>().BindConfiguration("Butterbase:Outbound");
        Services.AddExecution();
        Services.AddSingleton<Butterbase.Portal.Connections.TokenRefresher>();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Ours", DeveloperId);
        await Service<ToolkitConfigs>().ConfigureAsync(_app.Id, new(Service<ToolkitCatalog>().Find("gmail")!, null, null, null, null, null));
    }

    [Fact]
    public void The_chosen_tools_scopes_are_shown_under_the_tool_picker()
    {
        var page = Render<PlaygroundPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=pg-scopes]");
        var scopes = page.Find("[data-testid=pg-scopes]");
        Assert.Contains("Needs the scope", scopes.TextContent);
        Assert.Contains("https://www.googleapis.com/auth/gmail.send", scopes.TextContent); // GMAIL_SEND_EMAIL, the first tool
    }

    [Fact]
    public async Task A_toolkit_of_a_thousand_tools_is_searched_as_you_type_not_rendered_whole()
    {
        var github = Service<ToolkitCatalog>().Find("github")!;
        await Service<ToolkitConfigs>().ConfigureAsync(_app.Id, new(github, null, null, null, null, null));
        var page = Render<PlaygroundPage>(p => p.Add(x => x.AppId, _app.Id)); // opens on GitHub, the first by name
        page.WaitForElement("input[data-testid=pg-tool]");
        Assert.Equal("github", page.Instance.SelectedToolkit);

        var tools = Service<ToolkitCatalog>().ToolsOf(github).Tools;
        Assert.True(tools.Count > 1000);
        Assert.Contains($"{tools.Count:N0} tools", page.Markup);
        Assert.DoesNotContain(tools[^1].Name, page.Markup); // not every tool rendered into the page
        var found = (await page.Instance.SearchToolsAsync("create issue", CancellationToken.None)).ToList();
        Assert.Equal("GITHUB_CREATE_ISSUE", found[0]); // hand-made first
        Assert.True((await page.Instance.SearchToolsAsync(null, CancellationToken.None)).Count() == 50);
        Assert.Empty(await page.Instance.SearchToolsAsync("no such words anywhere", CancellationToken.None));
    }
}
