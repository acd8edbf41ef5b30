using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Apps.Pages;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

public sealed class AppsPageTests : PortalComponentContext
{
    [Fact]
    public void With_no_apps_it_says_what_to_do_next()
    {
        var page = Render<AppsPage>();
        page.WaitForAssertion(() => Assert.Contains("Create your first app", page.Find("[data-testid=empty-state]").TextContent));
    }

    [Fact]
    public async Task Creating_an_app_validates_the_name_inline_then_opens_the_new_app()
    {
        var dialogs = Render<MudDialogProvider>();
        var page = Render<AppsPage>();
        page.WaitForElement("[data-testid=create-app]").Click();

        dialogs.WaitForElement("form").Submit();
        dialogs.WaitForAssertion(() => Assert.Contains("Enter a name for the app.", dialogs.Markup));

        dialogs.Find("input").Input("Acme CRM");
        dialogs.Find("form").Submit();

        var navigation = Service<NavigationManager>();
        page.WaitForAssertion(() => Assert.Matches("/apps/app_[a-z0-9]+$", navigation.Uri));
        var appId = navigation.Uri.Split('/').Last();
        var app = await Service<AppRegistry>().FindForMemberAsync(appId, DeveloperId);
        Assert.Equal("Acme CRM", app!.Name);
    }

    [Fact]
    public async Task Lists_only_the_apps_the_developer_is_a_member_of()
    {
        await Service<AppRegistry>().CreateAsync("Mine", DeveloperId);
        await Service<AppRegistry>().CreateAsync("Someone else's", "dev_stranger");
        var page = Render<AppsPage>();
        page.WaitForAssertion(() => Assert.Contains("Mine", page.Find("[data-testid=apps-table]").TextContent));
        Assert.DoesNotContain("Someone else", page.Markup);
    }
}
