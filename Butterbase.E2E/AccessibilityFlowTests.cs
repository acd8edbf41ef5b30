using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Butterbase.E2E;

/// <summary>
/// Every portal page, signed in, with an app that has data (the Sandbox enabled, a test user connected, a run in the
/// Playground), checked with axe-core in a light and a dark browser: no serious or critical violation (nor a landmark
/// without a unique name), one `h1` and one `main` landmark per page, and no sideways scrolling at phone width. The
/// findings are printed to the test output.
/// </summary>
public sealed class AccessibilityFlowTests(PortalServer portal, ITestOutputHelper output) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Every_page_has_no_serious_axe_violation_one_h1_and_main_and_no_sideways_scroll_on_a_phone()
    {
        var problems = new List<string>();
        var page = await portal.NewPageAsync(1440, 900);
        page.SetDefaultTimeout(60_000); // seventeen pages twice on a shared 2-core machine: patient, not flaky

        await page.GotoAsync("/account/signup");
        await CheckAsync(page, "sign-up", problems, interactive: false);
        await PortalServer.SignUpAsync(page, "a11y@example.com");
        await CheckAsync(page, "apps-empty", problems);
        var appId = await PortalServer.CreateAppAsync(page, "Accessible app");
        await SeedAsync(page, appId);

        string[] paths =
        [
            "/", $"/apps/{appId}", $"/apps/{appId}/toolkits", $"/apps/{appId}/connections", $"/apps/{appId}/playground",
            $"/apps/{appId}/executions", $"/apps/{appId}/functions", $"/apps/{appId}/new-function", $"/apps/{appId}/mcp",
            $"/apps/{appId}/webhooks", $"/apps/{appId}/catalog", $"/apps/{appId}/catalog/sandbox", $"/apps/{appId}/api-keys",
            $"/apps/{appId}/members", $"/apps/{appId}/activity", $"/apps/{appId}/settings", "/no-such-page",
        ];
        foreach (var path in paths)
        {
            var response = await page.GotoAsync(path);
            await CheckAsync(page, Name(path, appId), problems);
            if (path != "/no-such-page") continue;
            // An unknown address is the portal's own not-found page (layout, a way back), still answered 404.
            Assert.Equal(404, response!.Status);
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Page not found");
            await Assertions.Expect(page.Locator("[data-testid=not-found-home]")).ToBeVisibleAsync();
        }

        // The connection dialog with its actions open (reconnect link), and the end user's hosted end pages (static, light).
        await page.GotoAsync($"/apps/{appId}/connections");
        await PortalServer.WaitForCircuitAsync(page);
        await page.ClickAsync("[data-testid=connection-account]");
        await page.ClickAsync("[data-testid=create-reconnect-link]");
        await page.Locator("[data-testid=reconnect-link]").WaitForAsync();
        await CheckAsync(page, "app-connections-dialog", problems);
        string[] hosted =
        [
            "/connect/done?status=connected&toolkit=sandbox", "/connect/done?status=failed&toolkit=sandbox&error=access_denied",
            "/v1/oauth/callback/sandbox?state=unknown", "/connect/ca_unknown",
        ];
        foreach (var path in hosted)
        {
            await page.GotoAsync(path);
            await CheckAsync(page, "hosted-" + path.Split('?')[0].Trim('/').Replace('/', '-') + (path.Contains("failed") ? "-failed" : ""), problems, interactive: false);
        }

        // The same pages for someone whose system is set to dark: the portal follows it, and stays readable.
        var state = await page.Context.StorageStateAsync();
        await using var dark = await portal.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.Address.ToString(), ViewportSize = new() { Width = 1440, Height = 900 }, ColorScheme = ColorScheme.Dark, StorageState = state,
        });
        var darkPage = await dark.NewPageAsync();
        darkPage.SetDefaultTimeout(60_000);
        foreach (var path in paths)
        {
            await darkPage.GotoAsync(path);
            await CheckAsync(darkPage, "dark-" + Name(path, appId), problems, coloursOnly: true);
        }
        var background = await darkPage.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        if (background is "rgb(255, 255, 255)") problems.Add("dark: the body stays white when the system prefers dark");

        output.WriteLine(problems.Count == 0 ? "axe: 0 serious/critical violations, every page has one h1 and one main" : $"{problems.Count} problem(s):\n" + string.Join("\n", problems));
        Assert.Empty(problems);
    }

    private static string Name(string path, string appId) =>
        path == "/" ? "apps" : path.Replace($"/apps/{appId}", "app").Trim('/').Replace('/', '-') is { Length: > 0 } n ? n : "apps";

    /// <summary>An app worth looking at: the Sandbox enabled, a test user connected, one Playground run logged.</summary>
    private static async Task SeedAsync(IPage page, string appId)
    {
        await page.GotoAsync($"/apps/{appId}/catalog/sandbox");
        await PortalServer.WaitForCircuitAsync(page);
        await page.ClickAsync("[data-testid=enable-for-app]");
        await Assertions.Expect(page.Locator("[data-testid=client-built-in]")).ToBeVisibleAsync();
        await PortalServer.ScreenshotAsync(page, "a11y-enable-sandbox-dialog");
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
        await page.ClickAsync("a[href$='/playground']");
        await Assertions.Expect(page.Locator("input[data-testid=pg-tool]")).ToHaveValueAsync("SANDBOX_SEND_MESSAGE");
        await page.FillAsync("input[data-testid=pg-param-to]", "bob@sandbox.test");
        await page.FillAsync("input[data-testid=pg-param-text]", "Hello");
        await page.ClickAsync("[data-testid=pg-run]");
        await Assertions.Expect(page.Locator("[data-testid=pg-result-status]")).ToHaveTextAsync("successful");

        // The run's id opens that run in Executions (written off the request path: the link may be a moment early).
        var link = page.Locator("[data-testid=pg-execution-link]");
        var id = (await link.TextContentAsync())!.Trim();
        await page.WaitForTimeoutAsync(1500); // the execution log is written in batches
        await link.ClickAsync();
        await page.WaitForURLAsync($"**/apps/{appId}/executions?id={id}");
        await Assertions.Expect(page.Locator("[data-testid=execution-response]")).ToContainTextAsync("Hello");
        await PortalServer.ScreenshotAsync(page, "a11y-execution-from-playground");
    }

    /// <param name="coloursOnly">The dark pass: the same markup in other colours, so only the contrast rule runs (the
    /// rest of axe, the landmarks and the phone layout were checked in light).</param>
    private async Task CheckAsync(IPage page, string name, List<string> problems, bool interactive = true, bool coloursOnly = false)
    {
        if (interactive) await PortalServer.WaitForCircuitAsync(page);
        // Loading bars go once a page has its data; axe looks at the page as people read it.
        await page.Locator("[data-testid=loading]").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        var result = coloursOnly ? await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "rule", Values = ["color-contrast"] } }) : await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        // Moderate landmark-unique too: two unnamed navigation/complementary landmarks leave a screen reader's landmark list ambiguous.
        var failing = result.Violations.Where(v => v.Impact is "serious" or "critical" || v.Id == "landmark-unique").ToList();
        var report = new StringBuilder($"{name}: {result.Violations.Length} violation(s), {serious.Count} serious/critical");
        foreach (var v in result.Violations)
        {
            report.Append($"\n  [{v.Impact}] {v.Id}: {v.Help} ({v.Nodes.Length} node(s))");
            foreach (var node in v.Nodes.Take(3)) report.Append($"\n      {node.Target} {Truncate(node.Html)}");
        }
        output.WriteLine(report.ToString());
        foreach (var v in failing) problems.Add($"{name}: [{v.Impact}] {v.Id} {v.Help}: {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Target.ToString()))}");

        if (coloursOnly) return;
        var h1 = await page.Locator("h1").CountAsync();
        var main = await page.Locator("main, [role=main]").CountAsync();
        if (h1 != 1) problems.Add($"{name}: {h1} h1 element(s), expected 1");
        if (main != 1) problems.Add($"{name}: {main} main landmark(s), expected 1");

        await PortalServer.ScreenshotAsync(page, $"a11y-{name}");
        await page.SetViewportSizeAsync(390, 844);
        await page.WaitForTimeoutAsync(300); // the drawer closes on the resize (a transition)
        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        if (overflow > 0) problems.Add($"{name}: scrolls sideways by {overflow}px at 390px wide");
        await PortalServer.ScreenshotAsync(page, $"a11y-{name}-phone");
        await page.SetViewportSizeAsync(1440, 900);
    }

    private static string Truncate(string? html) => html is null ? "" : html.Length <= 140 ? html : html[..140] + "…";
}
