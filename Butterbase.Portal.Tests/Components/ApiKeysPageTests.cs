using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Apps.Pages;
using Butterbase.Portal.Tests.Support;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

public sealed class ApiKeysPageTests : PortalComponentContext
{
    private App _app = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
    }

    [Fact]
    public void With_no_keys_it_offers_to_create_one()
    {
        var page = Render<ApiKeysPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Contains("No API keys yet", page.Find("[data-testid=empty-state]").TextContent));
    }

    [Fact]
    public async Task A_new_key_is_shown_once_masked_then_revealed_and_it_works()
    {
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ApiKeysPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=create-key]").Click();
        dialogs.WaitForElement("input").Input("production backend");
        dialogs.Find("form").Submit();

        var shown = page.WaitForElement("[data-testid=new-key] [data-testid=secret-value]");
        Assert.Contains("•", shown.TextContent); // masked until revealed
        page.Find("[data-testid=new-key] [data-testid=secret-reveal]").Click();
        var plaintext = page.Find("[data-testid=new-key] [data-testid=secret-value]").TextContent.Trim();
        Assert.StartsWith("bb_sk_", plaintext);
        var verified = await Service<ApiKeys>().VerifyAsync(plaintext);
        Assert.Equal(_app.Id, verified!.AppId);

        var row = page.Find("[data-testid=keys-table]").TextContent;
        Assert.Contains("production backend", row);
        Assert.Contains(plaintext[..14], row);
        Assert.DoesNotContain(plaintext, row);

        // Opened again later: only the prefix is left.
        var again = Render<ApiKeysPage>(p => p.Add(x => x.AppId, _app.Id));
        again.WaitForElement("[data-testid=keys-table]");
        Assert.DoesNotContain(plaintext, again.Markup);
        Assert.Empty(again.FindAll("[data-testid=new-key]"));
    }

    [Fact]
    public async Task Revoking_asks_first_and_the_key_stops_working()
    {
        var (_, plaintext) = await Service<ApiKeys>().CreateAsync(_app.Id, "old key");
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ApiKeysPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=revoke-key]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Revoke this key?", dialogs.Markup));
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Revoke").Click();

        page.WaitForAssertion(() => Assert.Contains("revoked", page.Find("[data-testid=keys-table]").TextContent));
        Assert.Null(await Service<ApiKeys>().VerifyAsync(plaintext));
    }

    [Fact]
    public async Task A_non_member_sees_not_found_and_no_keys()
    {
        var theirs = await Service<AppRegistry>().CreateAsync("Theirs", "dev_stranger");
        await Service<ApiKeys>().CreateAsync(theirs.Id, "their secret key");
        var page = Render<ApiKeysPage>(p => p.Add(x => x.AppId, theirs.Id));
        page.WaitForAssertion(() => Assert.Contains("App not found", page.Markup));
        Assert.DoesNotContain("their secret key", page.Markup);
        Assert.DoesNotContain("bb_sk_", page.Markup);
    }
}
