using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Mcp;
using Butterbase.Portal.Mcp.Pages;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Toolkits;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

public sealed class McpServersPageTests : PortalComponentContext
{
    private App _app = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
    }

    private Task EnableAsync(string slug) =>
        Service<ToolkitConfigs>().ConfigureAsync(_app.Id, new(Service<ToolkitCatalog>().Find(slug)!, null, null, null, null, null));

    [Fact]
    public void With_no_servers_it_offers_to_create_one()
    {
        var page = Render<McpServersPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Contains("No MCP servers yet", page.Find("[data-testid=empty-state]").TextContent));
        Assert.NotEmpty(page.FindAll("[data-testid=mcp-create]"));
    }

    [Fact]
    public async Task A_server_is_created_with_inline_errors_first_then_its_agent_configurations_show_its_endpoint()
    {
        await EnableAsync("sandbox");
        var dialogs = Render<MudDialogProvider>();
        var page = Render<McpServersPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=mcp-create]").Click();

        // Prefilled with a name and the enabled toolkits; a bad name is refused under its field, nothing saved.
        var name = dialogs.WaitForElement("input[data-testid=mcp-name], [data-testid=mcp-name] input");
        Assert.Equal("assistant", name.GetAttribute("value"));
        name.Input("Not A Name!");
        dialogs.Find("[data-testid=mcp-save]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Use lower-case letters", dialogs.Markup));
        Assert.Empty(await Service<McpServers>().ListAsync(_app.Id));

        dialogs.Find("input[data-testid=mcp-name], [data-testid=mcp-name] input").Input("support-agent");
        dialogs.Find("[data-testid=mcp-save]").Click();
        page.WaitForAssertion(() => Assert.Contains("support-agent", page.Find("[data-testid=mcp-table]").TextContent));
        var saved = Assert.Single(await Service<McpServers>().ListAsync(_app.Id));
        Assert.Equal(["sandbox"], saved.Toolkits);
        Assert.Equal("3", page.Find("[data-testid=mcp-tool-count]").TextContent.Trim());

        // The only server: its configurations are open, each naming its endpoint.
        var configs = page.WaitForElement("[data-testid=mcp-configs]");
        Assert.Contains($"/mcp/{_app.Id}/support-agent", configs.TextContent);
        Assert.Contains("Bearer ${env:BUTTERBASE_USER_TOKEN}", configs.TextContent); // a desktop agent gets a user's token, not the API key
        Assert.Contains(await Service<AppTeam>().ActivityAsync(_app.Id, 10), a => a.Action == "mcp_server.created");
    }

    [Fact]
    public async Task A_direct_server_over_many_tools_warns_that_agents_cap_them()
    {
        await EnableAsync("adafruit"); // 71 tools, of which 40 or fewer read
        await Service<McpServers>().CreateAsync(_app.Id, new("all", McpModes.Direct, ["adafruit"], null, null));
        var page = Render<McpServersPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=mcp-table]");
        Assert.Equal("71", page.Find("[data-testid=mcp-tool-count]").TextContent.Trim());
        Assert.Contains("Too many tools for some agents", page.Markup);

        await Service<McpServers>().UpdateAsync(_app.Id, "all", new(null, McpModes.Router, null, null, null));
        var router = Render<McpServersPage>(p => p.Add(x => x.AppId, _app.Id));
        router.WaitForElement("[data-testid=mcp-table]");
        Assert.Equal("5 meta tools over 71", router.Find("[data-testid=mcp-tool-count]").TextContent.Trim());
        Assert.DoesNotContain("Too many tools for some agents", router.Markup);
    }
}
