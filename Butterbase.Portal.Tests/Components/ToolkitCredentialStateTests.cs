using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Catalog.Pages;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Toolkits;
using Butterbase.Portal.Toolkits.Pages;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

/// <summary>
/// Whether a toolkit can be connected is said where it is enabled, before anyone tries: this portal configures no OAuth
/// client for any provider here (as a fresh install), so Gmail needs the app's own; the Sandbox brings its own.
/// </summary>
public sealed class ToolkitCredentialStateTests : PortalComponentContext
{
    private App _app = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
    }

    private Toolkit Toolkit(string slug) => Service<ToolkitCatalog>().Find(slug)!;

    [Fact]
    public async Task A_toolkit_with_no_oauth_client_anywhere_says_it_needs_one_in_the_table_and_its_dialog()
    {
        await Service<ToolkitConfigs>().ConfigureAsync(_app.Id, new(Toolkit("gmail"), null, null, null, null, null));
        await Service<ToolkitConfigs>().ConfigureAsync(_app.Id, new(Toolkit("sandbox"), null, null, null, null, null));
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ToolkitsPage>(p => p.Add(x => x.AppId, _app.Id));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=oauth-client]").Count));
        var cells = page.FindAll("[data-testid=oauth-client]").Select(c => c.TextContent.Trim()).ToList();
        Assert.Contains("needs an OAuth client", cells);
        Assert.Contains("built in", cells);
        Assert.DoesNotContain("managed", cells);

        page.Find("[data-testid=needs-oauth-client]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("needs an OAuth client", dialogs.Find("[data-testid=needs-oauth-client]").TextContent));
        Assert.Contains("/v1/oauth/callback/gmail", dialogs.Markup);
    }

    [Fact]
    public void The_sandbox_dialog_offers_no_callback_url_and_no_own_client()
    {
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ToolkitPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Slug, "sandbox"));
        page.WaitForElement("[data-testid=enable-for-app]").Click();

        dialogs.WaitForElement("[data-testid=client-built-in]");
        Assert.DoesNotContain("/v1/oauth/callback/sandbox", dialogs.Markup);
        Assert.Empty(dialogs.FindAll("[data-testid=use-custom-client]"));
        Assert.Empty(dialogs.FindAll("[data-testid=needs-oauth-client]"));
    }

    [Fact]
    public async Task Enabling_from_the_catalog_is_one_confirmed_step_and_cancel_enables_nothing()
    {
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ToolkitPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Slug, "gmail"));

        page.WaitForElement("[data-testid=enable-for-app]").Click();
        dialogs.WaitForElement("[data-testid=save-toolkit]");
        Assert.Equal("Enable", dialogs.Find("[data-testid=save-toolkit]").TextContent.Trim());
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Cancel").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=save-toolkit]")));
        Assert.Empty(await Service<ToolkitConfigs>().ListAsync(_app.Id));

        // Gmail has no managed client: the dialog starts on the app's own, and Enable stores it in the same step.
        page.Find("[data-testid=enable-for-app]").Click();
        dialogs.WaitForElement("input[data-testid=client-id], [data-testid=client-id] input").Input("gmail-client");
        dialogs.Find("input[data-testid=client-secret], [data-testid=client-secret] input").Input("gmail-secret-value");
        dialogs.Find("form").Submit();

        await page.WaitForAssertionAsync(async () =>
        {
            var row = Assert.Single(await Service<ToolkitConfigs>().ListAsync(_app.Id));
            Assert.True(row.Enabled);
            Assert.Equal("gmail-client", row.ClientId);
        });
    }
}
