using Butterbase.Portal.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Butterbase.E2E;

/// <summary>
/// The function code editor (Monaco), the connection dialog's actions and the hosted end pages in a real browser, at
/// 1440×900 and 390×844 (screenshots in artifacts/screenshots/4x-*.png).
/// </summary>
public sealed class PortalPagesFlowTests(PortalServer portal) : IClassFixture<PortalServer>
{
    private static async Task ShotsAsync(IPage page, string name)
    {
        var size = page.ViewportSize!;
        await page.SetViewportSizeAsync(1440, 900);
        await PortalServer.ScreenshotAsync(page, name);
        await page.SetViewportSizeAsync(390, 844);
        await page.WaitForTimeoutAsync(300); // the drawer closes on the resize (a transition)
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"{name}: scrolls sideways by {overflow}px at 390px wide");
        await PortalServer.ScreenshotAsync(page, name + "-phone");
        await page.SetViewportSizeAsync(size.Width, size.Height);
    }

    [Fact]
    public async Task Monaco_edits_and_deploys_function_code_the_connection_dialog_acts_and_the_hosted_end_pages_explain()
    {
        var page = await portal.NewPageAsync(1440, 900);
        page.SetDefaultTimeout(60_000);
        await PortalServer.SignUpAsync(page, "pages@example.com");
        var appId = await PortalServer.CreateAppAsync(page, "Pages app");

        // Monaco from this host: TypeScript highlighted, line numbers; what is typed there is what deploys.
        await page.GotoAsync($"/apps/{appId}/new-function");
        await PortalServer.WaitForCircuitAsync(page);
        var editor = page.Locator("[data-testid=function-code-monaco]");
        await Assertions.Expect(editor.Locator(".view-lines")).ToContainTextAsync("SANDBOX_SEND_MESSAGE");
        await Assertions.Expect(editor.Locator(".line-numbers").First).ToBeVisibleAsync();
        await Assertions.Expect(editor.Locator(".lines-content.monaco-editor-background")).ToHaveCSSAsync("background-color", "rgb(255, 255, 254)"); // light system, light editor
        await ShotsAsync(page, "40-function-editor-monaco");
        await editor.Locator(".view-lines").ClickAsync();
        await Assertions.Expect(editor.Locator(".monaco-editor.focused")).ToBeAttachedAsync(); // keys go to the editor, not the page
        await page.Keyboard.PressAsync("Control+A");
        await page.Keyboard.PressAsync("Delete");
        const string typed = "export default (ctx) => ({ typed: 'in monaco', at: ctx.method })";
        await page.Keyboard.InsertTextAsync(typed);
        await page.ClickAsync("[data-testid=deploy-function]"); // at once: the deploy reads the editor first
        await page.WaitForURLAsync($"**/apps/{appId}/functions/send-message");
        await Assertions.Expect(page.Locator("[data-testid=function-code-monaco] .view-lines")).ToContainTextAsync("in monaco");
        var functions = portal.Services.GetRequiredService<Butterbase.Portal.Functions.Functions>();
        Assert.Equal(typed, (await functions.FindAsync(appId, "send-message", default))!.Code);

        // Plain text: the same code in a labelled text area (screen readers, voice control).
        await page.GetByText("Plain text").ClickAsync();
        await Assertions.Expect(page.Locator("textarea[data-testid=function-code]")).ToHaveValueAsync(typed);
        await Assertions.Expect(page.GetByLabel("Code", new() { Exact = true })).ToBeVisibleAsync();
        await ShotsAsync(page, "41-function-editor-plain-text");
        // The choice is kept in this browser: the next visit opens on the text area, until switched back.
        await page.ReloadAsync();
        await PortalServer.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("textarea[data-testid=function-code]")).ToHaveValueAsync(typed);
        await page.GetByText("Plain text").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=function-code-monaco] .view-lines")).ToContainTextAsync("in monaco");

        // A dark system: the portal and the editor go dark together.
        var state = await page.Context.StorageStateAsync();
        await using (var dark = await portal.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.Address.ToString(), ViewportSize = new() { Width = 1440, Height = 900 }, ColorScheme = ColorScheme.Dark, StorageState = state,
        }))
        {
            var darkPage = await dark.NewPageAsync();
            darkPage.SetDefaultTimeout(60_000);
            await darkPage.GotoAsync($"/apps/{appId}/functions/send-message");
            await PortalServer.WaitForCircuitAsync(darkPage);
            await Assertions.Expect(darkPage.Locator("[data-testid=function-code-monaco] .view-lines")).ToContainTextAsync("in monaco", new() { Timeout = 60_000 });
            await Assertions.Expect(darkPage.Locator("[data-testid=function-code-monaco] .lines-content.monaco-editor-background")).ToHaveCSSAsync("background-color", "rgb(30, 30, 30)", new() { Timeout = 30_000 });
            await ShotsAsync(darkPage, "42-function-editor-monaco-dark");
        }

        // A connected test user, then its dialog: reconnect link, copy id, runs, disconnect after a confirmation.
        await page.GotoAsync($"/apps/{appId}/catalog/sandbox");
        await PortalServer.WaitForCircuitAsync(page);
        await page.ClickAsync("[data-testid=enable-for-app]");
        await page.ClickAsync("[data-testid=save-toolkit]");
        await Assertions.Expect(page.Locator("[data-testid=toolkit-row][data-slug=sandbox]")).ToBeVisibleAsync();
        await page.ClickAsync("[data-testid=connect-test-user]");
        await page.FillAsync("input[data-testid=test-user-id]", "test-user-1");
        await page.ClickAsync("[data-testid=test-user-start]");
        await page.WaitForURLAsync("**/sandbox/connect/authorize**");
        await page.FillAsync("#sandbox-email", "alice@sandbox.test");
        await page.ClickAsync("#sandbox-allow");
        await page.WaitForURLAsync($"**/apps/{appId}/connections?**status=connected**");
        await PortalServer.WaitForCircuitAsync(page);
        await page.ClickAsync("[data-testid=connection-account]");
        await page.ClickAsync("[data-testid=create-reconnect-link]");
        var link = (await page.Locator("[data-testid=reconnect-link] [data-testid=secret-value]").TextContentAsync())!.Trim();
        Assert.Contains(ConnectLinks.StartPath + "?t=", link);
        await Assertions.Expect(page.Locator("[data-testid=connection-runs]")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("executions\\?connection=cn_"));
        await ShotsAsync(page, "43-connection-dialog-reconnect-link");
        await page.ClickAsync("[data-testid=dialog-disconnect]");
        await Assertions.Expect(page.Locator("[data-testid=disconnect-confirm]")).ToContainTextAsync("of user test-user-1?");
        await ShotsAsync(page, "44-connection-dialog-disconnect-confirm");
        await page.ClickAsync("[data-testid=disconnect-confirm-no]");

        // The end user opens the reconnect link and declines: the portal's done page, in plain words, with the provider's.
        var user = await portal.NewPageAsync(1440, 900);
        await user.GotoAsync(link);
        await user.WaitForURLAsync("**/sandbox/connect/authorize**");
        await user.ClickAsync("#sandbox-deny");
        await user.WaitForURLAsync("**/connect/done?**");
        await Assertions.Expect(user.Locator("h1")).ToHaveTextAsync("Not connected");
        await Assertions.Expect(user.Locator("[data-testid=outcome-text]")).ToContainTextAsync("You declined the request to Sandbox");
        await Assertions.Expect(user.Locator("[data-testid=outcome-provider-said]")).ToContainTextAsync("denied access");
        await ShotsAsync(user, "45-connect-done-declined");

        // Provider words with markup are text, never markup.
        var sealedWords = portal.Services.GetRequiredService<ConnectLinks>().SealDetail("<img src=x onerror=alert(1)> Your administrator has blocked this app.");
        await user.GotoAsync($"/connect/done?status=failed&toolkit=sandbox&error=provider_error&detail={Uri.EscapeDataString(sealedWords)}");
        await Assertions.Expect(user.Locator("[data-testid=outcome-provider-said] blockquote")).ToContainTextAsync("<img src=x onerror=alert(1)>");
        Assert.Equal(0, await user.Locator("[data-testid=outcome-provider-said] img").CountAsync());
        await ShotsAsync(user, "46-connect-done-provider-error");

        await user.GotoAsync("/connect/done?status=connected&toolkit=sandbox");
        await Assertions.Expect(user.Locator("h1")).ToHaveTextAsync("Connected to Sandbox");
        await ShotsAsync(user, "47-connect-done-connected");

        var callback = await user.GotoAsync("/v1/oauth/callback/sandbox?state=forged&error=access_denied&error_description=" + Uri.EscapeDataString("<b>Call +1 555 0100</b>"));
        Assert.Equal(400, callback!.Status);
        await Assertions.Expect(user.Locator("h1")).ToHaveTextAsync("This link has expired");
        Assert.DoesNotContain("555 0100", await user.ContentAsync());
        await ShotsAsync(user, "48-callback-invalid-state");

        var used = await user.GotoAsync("/connect/ca_used0000000000000000");
        Assert.Equal(410, used!.Status);
        await Assertions.Expect(user.Locator("h1")).ToHaveTextAsync("This link has expired");
        await ShotsAsync(user, "49-hosted-connect-expired");

        // Back in the portal: yes, disconnect.
        await page.ClickAsync("[data-testid=dialog-disconnect]");
        await page.ClickAsync("[data-testid=disconnect-confirm-yes]");
        await Assertions.Expect(page.Locator("[data-testid=empty-state]")).ToContainTextAsync("No connections yet");
    }
}
