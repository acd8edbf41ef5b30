using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Apps.Pages;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Components;

public sealed class SettingsPageTests : PortalComponentContext
{
    [Fact]
    public async Task A_bad_redirect_url_is_explained_inline_and_a_good_one_is_saved()
    {
        var app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
        var page = Render<SettingsPage>(p => p.Add(x => x.AppId, app.Id));
        var input = page.WaitForElement("input[data-testid=new-redirect-url], [data-testid=new-redirect-url] input");

        input.Input("http://yourapp.com/back");
        page.Find("[data-testid=add-redirect-url]").Click();
        page.WaitForAssertion(() => Assert.Contains("Use https (http is accepted for localhost only).", page.Markup));
        Assert.Empty(page.FindAll("[data-testid=redirect-url]"));

        page.Find("input[data-testid=new-redirect-url], [data-testid=new-redirect-url] input").Input("https://yourapp.com/back");
        page.Find("[data-testid=add-redirect-url]").Click();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=redirect-url]")));
        page.Find("form").Submit();

        await page.WaitForAssertionAsync(async () =>
        {
            var saved = await Service<AppRegistry>().FindAsync(app.Id);
            Assert.Equal(["https://yourapp.com/back"], saved!.AllowedRedirectUrls);
        });
    }

    [Fact]
    public async Task The_external_issuer_needs_all_three_fields()
    {
        var app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
        var page = Render<SettingsPage>(p => p.Add(x => x.AppId, app.Id));
        page.WaitForElement("input[data-testid=use-issuer], [data-testid=use-issuer] input").Change(true);
        page.WaitForAssertion(() => Assert.Contains("Issuer (iss)", page.Markup));
        page.Find("form").Submit();
        page.WaitForAssertion(() => Assert.Contains("Enter the issuer", page.Markup));
        Assert.Contains("Enter the audience", page.Markup);
        Assert.Null((await Service<AppRegistry>().FindAsync(app.Id))!.JwtIssuer);
    }
}
