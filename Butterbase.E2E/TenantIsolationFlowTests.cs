using Microsoft.Playwright;

namespace Butterbase.E2E;

/// <summary>
/// Issue 13 classes 1 and 6 over live circuits in a real browser: developer B (a member of another app) opens app A's
/// pages and A's toolkit settings dialog by URL and gets nothing; a viewer of A sees it read-only; an owner invites,
/// removes, and reads who changed what on the Activity page. Screenshots of Members and Activity at desktop and phone sizes.
/// </summary>
public sealed class TenantIsolationFlowTests(PortalServer portal) : IClassFixture<PortalServer>
{
    private static readonly string[] AppPages =
    [
        "", "/toolkits", "/toolkits?edit=gmail", "/connections", "/playground", "/executions", "/functions", "/new-function", "/catalog",
        "/catalog/gmail", "/api-keys", "/settings", "/members", "/activity",
    ];

    private static async Task<string> InviteAsync(IPage owner, string appId, string role)
    {
        await owner.GotoAsync($"/apps/{appId}/members");
        await PortalServer.WaitForCircuitAsync(owner);
        await owner.ClickAsync("[data-testid=invite-role-select]");
        await owner.Locator(".mud-popover-open").GetByText(role, new() { Exact = true }).ClickAsync();
        await owner.ClickAsync("[data-testid=create-invite]");
        var link = owner.Locator("[data-testid=invite-link] [data-testid=secret-value]");
        await Assertions.Expect(link).ToContainTextAsync("/invite/");
        return (await link.TextContentAsync())!.Trim();
    }

    private async Task<IPage> JoinAsync(string link, string email)
    {
        var page = await portal.NewPageAsync();
        await page.GotoAsync(link);
        await Assertions.Expect(page.Locator("[data-testid=invite-role]")).ToBeVisibleAsync();
        await PortalServer.ScreenshotAsync(page, "tenant-06-invite-link");
        await page.ClickAsync("[data-testid=invite-signup]");
        await PortalServer.SignUpAsync(page, email, page.Url);
        return page;
    }

    [Fact]
    public async Task Another_apps_member_gets_nothing_by_url_a_viewer_reads_only_and_the_owner_sees_who_changed_what()
    {
        var owner = await portal.NewPageAsync(1440, 900);
        await PortalServer.SignUpAsync(owner, "owner@example.com");
        var appA = await PortalServer.CreateAppAsync(owner, "Acme");

        // The owner enables Gmail with their own OAuth client: the settings dialog opens from the catalog.
        await owner.GotoAsync($"/apps/{appA}/catalog/gmail");
        await PortalServer.WaitForCircuitAsync(owner);
        await owner.ClickAsync("[data-testid=enable-for-app]");
        await owner.Locator("[data-testid=save-toolkit]").WaitForAsync();
        await PortalServer.ScreenshotAsync(owner, "tenant-00-toolkit-dialog");
        await owner.Locator("input[data-testid=use-custom-client], [data-testid=use-custom-client] input").First.CheckAsync();
        await owner.FillAsync("input[data-testid=client-id]", "owners-client-id");
        await owner.FillAsync("input[data-testid=client-secret]", "owners-client-secret");
        await owner.ClickAsync("[data-testid=save-toolkit]");
        await owner.GetByText("Saved Gmail.").WaitForAsync();

        // B is a developer of another app only.
        await owner.GotoAsync("/");
        await PortalServer.WaitForCircuitAsync(owner);
        await owner.Locator("[data-testid=apps-table]").WaitForAsync();
        var sideApp = await PortalServer.CreateAppAsync(owner, "Side project");
        var developerLink = await InviteAsync(owner, sideApp, "developer");
        var viewerLink = await InviteAsync(owner, appA, "viewer");
        var b = await JoinAsync(developerLink, "b@example.com");

        foreach (var path in AppPages)
        {
            await b.GotoAsync($"/apps/{appA}{path}");
            await PortalServer.WaitForCircuitAsync(b);
            await b.GetByText("App not found").WaitForAsync();
            await b.WaitForTimeoutAsync(path.Contains("edit=") ? 1500 : 100); // the dialog would open after the first interactive render
            Assert.DoesNotContain("owners-client-id", await b.ContentAsync());
            Assert.DoesNotContain("Acme", await b.Locator("body").InnerTextAsync());
            Assert.Equal(0, await b.Locator(".mud-dialog").CountAsync());
        }
        await PortalServer.ScreenshotAsync(b, "tenant-01-other-app-by-url");

        // The viewer sees A's toolkits, read-only, and the dialog does not open for them either.
        var viewer = await JoinAsync(viewerLink, "viewer@example.com");
        await viewer.GotoAsync($"/apps/{appA}/toolkits?edit=gmail");
        await PortalServer.WaitForCircuitAsync(viewer);
        await Assertions.Expect(viewer.Locator("[data-testid=toolkit-row]")).ToContainTextAsync("Gmail");
        await Assertions.Expect(viewer.Locator("[data-testid=read-only]")).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Locator("[data-testid=edit-toolkit]")).ToBeDisabledAsync();
        await viewer.WaitForTimeoutAsync(1500);
        Assert.Equal(0, await viewer.Locator(".mud-dialog").CountAsync());
        await viewer.GotoAsync($"/apps/{appA}/members");
        await PortalServer.WaitForCircuitAsync(viewer);
        await Assertions.Expect(viewer.Locator("[data-testid=members-table]")).ToContainTextAsync("viewer@example.com");
        Assert.Equal(0, await viewer.Locator("[data-testid=invite-panel]").CountAsync());
        await viewer.GotoAsync($"/apps/{appA}/activity");
        await PortalServer.WaitForCircuitAsync(viewer);
        await Assertions.Expect(viewer.Locator("[data-testid=activity-table]")).ToBeVisibleAsync();

        // The owner removes the viewer; the viewer's open page refuses at the next click.
        await owner.GotoAsync($"/apps/{appA}/members");
        await PortalServer.WaitForCircuitAsync(owner);
        await Assertions.Expect(owner.Locator("[data-testid=members-table]")).ToContainTextAsync("viewer@example.com");
        await PortalServer.ScreenshotAsync(owner, "tenant-02-members-desktop");
        await owner.ClickAsync("[data-testid=remove-member]");
        await owner.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
        await owner.GetByText("Removed viewer@example.com.").WaitForAsync();
        await viewer.ClickAsync("[data-testid=refresh-activity]");
        await viewer.GetByText("You are no longer a member of this app.").WaitForAsync();
        Assert.Equal(0, await viewer.Locator("[data-testid=activity-target]").CountAsync());

        // Who changed what, newest first.
        await owner.GotoAsync($"/apps/{appA}/activity");
        await PortalServer.WaitForCircuitAsync(owner);
        var actions = owner.Locator("[data-testid=activity-action]");
        await Assertions.Expect(actions.First).ToHaveTextAsync("member.removed");
        var all = string.Join(" ", await actions.AllTextContentsAsync());
        Assert.Contains("member.joined", all);
        Assert.Contains("member.invited", all);
        Assert.Contains("toolkit.configured", all);
        Assert.DoesNotContain("owners-client-secret", await owner.ContentAsync());
        await PortalServer.ScreenshotAsync(owner, "tenant-03-activity-desktop");

        // The same two pages on a phone.
        var phone = await portal.NewPageAsync(390, 844);
        await phone.GotoAsync("/account/signin?returnUrl=" + Uri.EscapeDataString($"/apps/{appA}/members"));
        await phone.FillAsync("#email", "owner@example.com");
        await phone.FillAsync("#password", "correct horse battery");
        await phone.ClickAsync("button[type=submit]");
        await PortalServer.WaitForCircuitAsync(phone);
        await Assertions.Expect(phone.Locator("[data-testid=members-table]")).ToContainTextAsync("owner@example.com");
        await PortalServer.ScreenshotAsync(phone, "tenant-04-members-phone");
        await phone.GotoAsync($"/apps/{appA}/activity");
        await PortalServer.WaitForCircuitAsync(phone);
        await Assertions.Expect(phone.Locator("[data-testid=activity-action]").First).ToHaveTextAsync("member.removed");
        await PortalServer.ScreenshotAsync(phone, "tenant-05-activity-phone");

        // And A's Gmail settings are the owner's, untouched.
        await owner.GotoAsync($"/apps/{appA}/toolkits?edit=gmail");
        await PortalServer.WaitForCircuitAsync(owner);
        await Assertions.Expect(owner.Locator("input[data-testid=client-id]")).ToHaveValueAsync("owners-client-id");
    }
}
