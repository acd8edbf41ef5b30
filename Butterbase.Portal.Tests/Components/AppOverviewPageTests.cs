using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Apps.Pages;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Tests.Components;

public sealed class AppOverviewPageTests : PortalComponentContext
{
    [Fact]
    public async Task Get_started_tracks_what_the_app_has_done_and_links_each_step()
    {
        var app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
        var page = Render<AppOverviewPage>(p => p.Add(x => x.AppId, app.Id));
        page.WaitForAssertion(() => Assert.Equal("0 of 6 done", page.Find("[data-testid=steps-done]").TextContent.Trim()));
        var steps = page.FindAll("[data-testid=get-started-step]");
        Assert.All(steps, s => Assert.Equal("false", s.GetAttribute("data-done")));
        Assert.EndsWith($"/apps/{app.Id}/api-keys", steps[0].GetAttribute("href"));
        Assert.EndsWith($"/apps/{app.Id}/functions", steps[^1].GetAttribute("href"));

        await Service<ApiKeys>().CreateAsync(app.Id, "backend");
        var again = Render<AppOverviewPage>(p => p.Add(x => x.AppId, app.Id));
        again.WaitForAssertion(() => Assert.Equal("1 of 6 done", again.Find("[data-testid=steps-done]").TextContent.Trim()));
        Assert.Equal("true", again.FindAll("[data-testid=get-started-step]")[0].GetAttribute("data-done"));
        Assert.Contains("(1 active)", again.FindAll("[data-testid=get-started-step]")[0].TextContent);
    }

    [Fact]
    public async Task The_api_snippets_name_the_app_and_its_connected_test_user_and_can_be_copied()
    {
        var app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
        await using (var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync())
        {
            db.Connections.Add(new Connection
            {
                Id = Ids.New("cn_", 20), AppId = app.Id, UserId = "alice-test", ToolkitSlug = "sandbox", Status = ConnectionStatus.Active,
                AuthScheme = "oauth2", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var page = Render<AppOverviewPage>(p => p.Add(x => x.AppId, app.Id));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=code-block]").Count));
        var snippets = page.FindAll("[data-testid=code-block] pre").Select(p => p.TextContent).ToList();
        Assert.All(snippets, s => Assert.Contains(app.Id, s));
        Assert.All(snippets, s => Assert.Contains("\"userId\":\"alice-test\"", s));
        Assert.Equal(2, page.FindAll("[data-testid=code-block] [data-testid=code-copy]").Count);
    }
}
