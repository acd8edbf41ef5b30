using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Apps.Pages;
using Butterbase.Portal.Tests.Support;

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
}
