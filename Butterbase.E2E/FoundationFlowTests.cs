using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;

namespace Butterbase.E2E;

public sealed class FoundationFlowTests(PortalServer portal) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Sign_up_create_an_app_allow_a_redirect_url_and_read_a_new_api_key_once()
    {
        var page = await portal.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") consoleErrors.Add(m.Text); };

        // A fresh install sends the first visitor to sign-up.
        await page.GotoAsync("/");
        await page.WaitForURLAsync("**/account/signup");
        await PortalServer.ScreenshotAsync(page, "01-sign-up");
        await PortalServer.SignUpAsync(page, "founder@example.com");
        await page.Locator("[data-testid=empty-state]").GetByText("Create your first app").WaitForAsync();
        await PortalServer.ScreenshotAsync(page, "02-apps-empty");

        var appId = await PortalServer.CreateAppAsync(page, "Acme CRM");
        await Assertions.Expect(page.Locator("[data-testid=app-title]")).ToHaveTextAsync("Acme CRM");
        await PortalServer.ScreenshotAsync(page, "04-app-overview");

        await page.ClickAsync("a[href$='/settings']");
        await page.FillAsync("input[data-testid=new-redirect-url]", "https://yourapp.com/settings");
        await page.ClickAsync("[data-testid=add-redirect-url]");
        await Assertions.Expect(page.Locator("[data-testid=redirect-url]")).ToHaveTextAsync("https://yourapp.com/settings");
        await page.ClickAsync("[data-testid=save-settings]");
        await page.GetByText("Settings saved.").WaitForAsync();
        await PortalServer.ScreenshotAsync(page, "05-settings-saved");

        await page.ClickAsync("a[href$='/api-keys']");
        await page.ClickAsync("[data-testid=create-key]");
        await page.FillAsync("input[data-testid=key-name]", "production backend");
        await page.ClickAsync("[data-testid=create-key-submit]");
        var secret = page.Locator("[data-testid=new-key] [data-testid=secret-value]");
        await Assertions.Expect(secret).ToContainTextAsync("•");
        await PortalServer.ScreenshotAsync(page, "06-api-key-created-masked");
        await page.ClickAsync("[data-testid=new-key] [data-testid=secret-reveal]");
        await Assertions.Expect(secret).Not.ToContainTextAsync("•");
        var apiKey = (await secret.TextContentAsync())!.Trim();
        Assert.StartsWith("bb_sk_", apiKey);

        // The key read off the page works against the API, and the settings made in the browser are there.
        using var http = new HttpClient { BaseAddress = portal.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var settings = JsonDocument.Parse(await http.GetStringAsync($"v1/{appId}/settings")).RootElement;
        Assert.Equal("Acme CRM", settings.GetProperty("name").GetString());
        Assert.Equal("https://yourapp.com/settings", settings.GetProperty("allowed_redirect_urls")[0].GetString());

        // Shown once: after a reload only the prefix is left.
        await page.ReloadAsync();
        await PortalServer.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=keys-table]")).ToContainTextAsync(apiKey[..14]);
        Assert.DoesNotContain(apiKey, await page.ContentAsync());
        Assert.Equal(0, await page.Locator("[data-testid=new-key]").CountAsync());
        await PortalServer.ScreenshotAsync(page, "07-api-keys-list");

        Assert.Empty(consoleErrors);
    }
}
