using Microsoft.Playwright;

namespace Butterbase.E2E;

public sealed class ConnectFlowTests(PortalServer portal) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Enable_the_sandbox_connect_a_test_user_through_consent_see_it_and_disconnect_it()
    {
        var page = await portal.NewPageAsync();
        await PortalServer.SignUpAsync(page, "connect@example.com");
        var appId = await PortalServer.CreateAppAsync(page, "Connect demo");

        await page.ClickAsync("a[href$='/toolkits']");
        await page.Locator("[data-testid=empty-state]").GetByText("No toolkits enabled yet").WaitForAsync();
        await PortalServer.ScreenshotAsync(page, "20-toolkits-empty");
        await page.ClickAsync("[data-testid=enable-sandbox]");
        await Assertions.Expect(page.Locator("[data-testid=toolkit-title]")).ToHaveTextAsync("Sandbox");
        await page.ClickAsync("[data-testid=enable-for-app]");
        await Assertions.Expect(page.GetByText("/v1/oauth/callback/sandbox")).ToBeVisibleAsync();
        await PortalServer.ScreenshotAsync(page, "21-toolkit-settings");
        await page.ClickAsync("[data-testid=save-toolkit]");
        await Assertions.Expect(page.Locator("[data-testid=toolkit-row][data-slug=sandbox]")).ToBeVisibleAsync();
        await PortalServer.ScreenshotAsync(page, "22-toolkits");

        await page.ClickAsync("[data-testid=connect-test-user]");
        await page.FillAsync("input[data-testid=test-user-id]", "test-user-1");
        await page.ClickAsync("[data-testid=test-user-start]");

        // The Sandbox's own consent page: a real authorization server with PKCE.
        await page.WaitForURLAsync("**/sandbox/connect/authorize**");
        await page.FillAsync("#sandbox-email", "alice@sandbox.test");
        await PortalServer.ScreenshotAsync(page, "23-sandbox-consent");
        await page.ClickAsync("#sandbox-allow");

        await page.WaitForURLAsync($"**/apps/{appId}/connections?**status=connected**");
        await PortalServer.WaitForCircuitAsync(page);
        var account = page.Locator("[data-testid=connection-account]");
        await Assertions.Expect(account).ToHaveTextAsync("alice@sandbox.test");
        await Assertions.Expect(page.Locator("[data-testid=status-chip]").First).ToHaveTextAsync("active");
        await PortalServer.ScreenshotAsync(page, "24-connections");

        await account.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=connection-history]")).ToContainTextAsync("connected");
        await PortalServer.ScreenshotAsync(page, "25-connection-detail");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).ClickAsync();

        await page.ClickAsync("[data-testid=disconnect]");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Disconnect", Exact = true }).ClickAsync();
        await page.Locator("[data-testid=empty-state]").GetByText("No connections yet").WaitForAsync();
        await PortalServer.ScreenshotAsync(page, "26-disconnected");
    }
}
