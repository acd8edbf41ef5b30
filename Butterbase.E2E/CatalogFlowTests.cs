using Microsoft.Playwright;

namespace Butterbase.E2E;

public sealed class CatalogFlowTests(PortalServer portal) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Search_the_catalog_as_you_type_and_open_a_toolkit()
    {
        var page = await portal.NewPageAsync();
        await PortalServer.SignUpAsync(page, "catalog@example.com");
        await PortalServer.CreateAppAsync(page, "Catalog demo");

        await page.ClickAsync("a[href$='/catalog']");
        await Assertions.Expect(page.Locator("[data-testid=catalog-count]")).ToContainTextAsync("toolkits");
        await page.Locator("[data-testid=catalog-result]").First.WaitForAsync();
        await PortalServer.ScreenshotAsync(page, "10-catalog");

        await page.Locator("input[data-testid=catalog-search]").PressSequentiallyAsync("github iss", new() { Delay = 30 });
        await Assertions.Expect(page.Locator("[data-testid=catalog-result]").First).ToHaveAttributeAsync("data-slug", "github");
        await PortalServer.ScreenshotAsync(page, "11-catalog-search");

        await page.Locator("[data-testid=catalog-result]").First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=toolkit-title]")).ToHaveTextAsync("GitHub");
        await page.GetByText("GITHUB_CREATE_ISSUE", new() { Exact = true }).ClickAsync();
        var parameters = page.Locator("[data-testid=tool-parameters]").First;
        await Assertions.Expect(parameters).ToContainTextAsync("owner");
        await Assertions.Expect(parameters).ToContainTextAsync("path");
        await Assertions.Expect(parameters).ToContainTextAsync("title");
        await page.WaitForTimeoutAsync(500); // let the panel's expand animation finish before the picture
        await PortalServer.ScreenshotAsync(page, "12-toolkit-page");
    }
}
