using Microsoft.Playwright;

namespace Butterbase.E2E;

public sealed class ConnectFlowTests(PortalServer portal) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Enable_the_sandbox_connect_a_test_user_run_a_tool_in_the_playground_and_from_a_function_see_it_and_disconnect()
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
        // Enabling is one confirmed step; the Sandbox brings its own client (no callback URL, no own-client option).
        await Assertions.Expect(page.Locator("[data-testid=client-built-in]")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("[data-testid=use-custom-client]").CountAsync());
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

        // Run a tool as that user from the Playground, then find the run in Executions.
        await page.ClickAsync("a[href$='/playground']");
        await Assertions.Expect(page.Locator("input[data-testid=pg-tool]")).ToHaveValueAsync("SANDBOX_SEND_MESSAGE");
        await page.FillAsync("input[data-testid=pg-param-to]", "bob@sandbox.test");
        await page.FillAsync("input[data-testid=pg-param-text]", "Hello from the Playground");
        await page.ClickAsync("[data-testid=pg-run]");
        await Assertions.Expect(page.Locator("[data-testid=pg-result-status]")).ToHaveTextAsync("successful");
        await Assertions.Expect(page.Locator("[data-testid=pg-result]")).ToContainTextAsync("Hello from the Playground");
        await PortalServer.ScreenshotAsync(page, "27-playground");

        await page.ClickAsync("a[href$='/executions']");
        var tool = page.Locator("[data-testid=execution-tool]");
        for (var i = 0; i < 20 && await tool.CountAsync() == 0; i++)
        {
            await page.WaitForTimeoutAsync(250); // the execution log is written off the request path, in batches
            await page.ClickAsync("[data-testid=refresh-executions]");
        }
        await Assertions.Expect(tool.First).ToHaveTextAsync("SANDBOX_SEND_MESSAGE");
        await Assertions.Expect(page.Locator("[data-testid=execution-result]").First).ToHaveTextAsync("successful");
        await tool.First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=execution-request]")).ToContainTextAsync("POST ");
        await Assertions.Expect(page.Locator("[data-testid=execution-response]")).ToContainTextAsync("Hello from the Playground");
        await PortalServer.ScreenshotAsync(page, "28-executions");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).ClickAsync();

        // The same user through the proxy: the Raw request tab sends to any endpoint of the Sandbox API.
        await page.ClickAsync("a[href$='/playground']");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Raw request" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=raw-empty]")).ToBeVisibleAsync();
        await page.FillAsync("input[data-testid=raw-path]", "/me");
        await page.FillAsync("textarea[data-testid=raw-headers]", "Accept: application/json");
        await page.ClickAsync("[data-testid=raw-send]");
        await Assertions.Expect(page.Locator("[data-testid=raw-status]")).ToHaveTextAsync("200");
        await Assertions.Expect(page.Locator("[data-testid=raw-response-body]")).ToContainTextAsync("alice@sandbox.test");
        await Assertions.Expect(page.Locator("[data-testid=raw-headers-table]")).ToContainTextAsync("content-type");
        var wide = page.ViewportSize!;
        await page.SetViewportSizeAsync(1440, 900);
        await PortalServer.ScreenshotAsync(page, "28b-playground-raw");
        await page.SetViewportSizeAsync(390, 844);
        await PortalServer.ScreenshotAsync(page, "28b-playground-raw-phone");
        await page.SetViewportSizeAsync(wide.Width, wide.Height);
        // A path that would leave the API base is refused before anything is sent, and said next to the field.
        await page.FillAsync("input[data-testid=raw-path]", "/../../v1/admin");
        // Committed before the click, as the webhooks flow does: once, on the PostgreSQL pass of a slow machine, no
        // refusal showed within 5 s and the previous call's 200 stayed on screen (not reproduced since).
        await page.Locator("input[data-testid=raw-path]").BlurAsync();
        await page.ClickAsync("[data-testid=raw-send]");
        await Assertions.Expect(page.Locator("[data-testid=raw-error]")).ToContainTextAsync("invalid_request");
        await Assertions.Expect(page.GetByText("must stay under the API base").First).ToBeVisibleAsync();
        await PortalServer.ScreenshotAsync(page, "28c-playground-raw-refused");

        // A function that runs a tool for that user through ctx.integrations, deployed and test-run from the portal.
        await page.ClickAsync("a[href$='/functions']");
        await page.Locator("[data-testid=empty-state]").GetByText("No functions yet").WaitForAsync();
        await PortalServer.ScreenshotAsync(page, "29-functions-empty");
        await page.ClickAsync("[data-testid=new-function]");
        await page.FillAsync("input[data-testid=function-name-input]", "notify");
        // The editor starts from an example that runs at once: a Sandbox message through ctx.integrations.
        // Monaco (served from this host's _content/BlazorMonaco) replaces the text area: highlighted TypeScript, line numbers.
        var editor = page.Locator("[data-testid=function-code-monaco]");
        await Assertions.Expect(editor.Locator(".view-lines")).ToContainTextAsync("SANDBOX_SEND_MESSAGE", new() { Timeout = 30_000 });
        await Assertions.Expect(editor.Locator(".line-numbers").First).ToBeVisibleAsync();
        await Assertions.Expect(editor.Locator(".mtk1").First).ToBeAttachedAsync(); // tokenized, i.e. highlighted
        await page.ClickAsync("[data-testid=deploy-function]");
        await page.WaitForURLAsync($"**/apps/{appId}/functions/notify");
        await page.FillAsync("textarea[data-testid=test-body]", "{ \"userId\": \"test-user-1\", \"to\": \"bob@sandbox.test\" }");
        await page.ClickAsync("[data-testid=run-function]");
        await Assertions.Expect(page.Locator("[data-testid=run-response]")).ToContainTextAsync("\"ok\": true");
        await Assertions.Expect(page.Locator("[data-testid=run-response]")).ToContainTextAsync("Hello from test-user-1");
        await Assertions.Expect(page.Locator("[data-testid=invocations-table] [data-testid=invocation-outcome]").First).ToHaveTextAsync("ok");
        await Assertions.Expect(page.Locator("[data-testid=invocation-logs]")).ToContainTextAsync("sent ex_");
        await Assertions.Expect(page.Locator("[data-testid=invocation-trigger]").First).ToContainTextAsync("test");
        await PortalServer.ScreenshotAsync(page, "30-function-editor");
        var desktop = page.ViewportSize!;
        await page.SetViewportSizeAsync(390, 844);
        await PortalServer.ScreenshotAsync(page, "30-function-editor-phone");
        await page.SetViewportSizeAsync(desktop.Width, desktop.Height);

        // A schedule: weekdays at 09:00 Berlin time as the test user; the cron is checked as it is typed.
        await page.ClickAsync("[data-testid=add-first-schedule]");
        await page.FillAsync("input[data-testid=schedule-cron]", "0 9 * *");
        await Assertions.Expect(page.Locator("[data-testid=schedules]")).ToContainTextAsync("This one has 4 fields");
        await page.FillAsync("input[data-testid=schedule-cron]", "0 9 * * 1-5");
        await page.FillAsync("input[data-testid=schedule-timezone]", "Europe/Berlin");
        await page.FillAsync("input[data-testid=schedule-runas]", "test-user-1");
        await page.FillAsync("textarea[data-testid=schedule-body]", "{ \"userId\": \"test-user-1\", \"to\": \"team@sandbox.test\" }");
        await Assertions.Expect(page.Locator("[data-testid=schedules]")).ToContainTextAsync("09:00 (Europe/Berlin)");
        await page.ClickAsync("[data-testid=save-schedules]");
        await Assertions.Expect(page.Locator("[data-testid=schedule-next]")).ToContainTextAsync("Next run");
        await page.SetViewportSizeAsync(1440, 900);
        await PortalServer.ScreenshotAsync(page, "32-function-schedules");
        await page.SetViewportSizeAsync(390, 844);
        await PortalServer.ScreenshotAsync(page, "32-function-schedules-phone");
        await page.SetViewportSizeAsync(desktop.Width, desktop.Height);
        await page.ClickAsync("a[href$='/functions']");
        await Assertions.Expect(page.Locator("[data-testid=function-name]")).ToHaveTextAsync("notify");
        await PortalServer.ScreenshotAsync(page, "31-functions");

        // An MCP server for agents over the enabled Sandbox: created from its prefilled dialog, with configurations to paste.
        await page.ClickAsync("a[href$='/mcp']");
        await page.Locator("[data-testid=empty-state]").GetByText("No MCP servers yet").WaitForAsync();
        await PortalServer.ScreenshotAsync(page, "32-mcp-empty");
        await page.ClickAsync("[data-testid=mcp-create]");
        await Assertions.Expect(page.Locator("input[data-testid=mcp-name]")).ToHaveValueAsync("assistant");
        await PortalServer.ScreenshotAsync(page, "33-mcp-dialog");
        await page.ClickAsync("[data-testid=mcp-save]");
        await Assertions.Expect(page.Locator("[data-testid=mcp-table]")).ToContainTextAsync("assistant");
        await Assertions.Expect(page.Locator("[data-testid=mcp-configs]")).ToContainTextAsync($"/mcp/{appId}/assistant");
        foreach (var (width, height, name) in new[] { (390, 844, "34-mcp-servers-phone"), (desktop.Width, desktop.Height, "34-mcp-servers") })
        {
            // Loaded afresh at each width (the drawer follows the width it starts at; no leftover notices).
            await page.SetViewportSizeAsync(width, height);
            await page.ReloadAsync();
            await Assertions.Expect(page.Locator("[data-testid=mcp-configs]")).ToContainTextAsync("Connect an agent to assistant");
            await PortalServer.ScreenshotAsync(page, name);
        }

        await page.ClickAsync("a[href$='/connections']");
        await page.ClickAsync("[data-testid=disconnect]");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Disconnect", Exact = true }).ClickAsync();
        await page.Locator("[data-testid=empty-state]").GetByText("No connections yet").WaitForAsync();
        await PortalServer.ScreenshotAsync(page, "26-disconnected");
    }
}
