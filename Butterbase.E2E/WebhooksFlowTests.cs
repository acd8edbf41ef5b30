using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Butterbase.E2E;

public sealed class WebhooksFlowTests(PortalServer portal) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Add_an_endpoint_copy_its_secret_send_a_test_event_and_see_the_delivery()
    {
        // A receiver on loopback (the E2E portal allows private networks for its stand-ins).
        var received = new List<Dictionary<string, string>>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var receiver = builder.Build();
        receiver.Run(http =>
        {
            // Copied now: Kestrel reuses a request's header collection once it has answered.
            lock (received) received.Add(http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()));
            http.Response.StatusCode = 204;
            return Task.CompletedTask;
        });
        await receiver.StartAsync();
        var url = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks";

        var page = await portal.NewPageAsync(1440, 900);
        await PortalServer.SignUpAsync(page, "hooks@example.com");
        var appId = await PortalServer.CreateAppAsync(page, "Webhooks demo");
        await page.ClickAsync("a[href$='/webhooks']");
        await page.Locator("[data-testid=empty-state]").GetByText("No webhook endpoints yet").WaitForAsync();
        await DismissNoticesAsync(page);
        await PortalServer.ScreenshotAsync(page, "40-webhooks-empty");
        await page.SetViewportSizeAsync(390, 844);
        await PortalServer.ScreenshotAsync(page, "40-webhooks-empty-phone");
        await page.SetViewportSizeAsync(1440, 900);

        await page.ClickAsync("[data-testid=add-endpoint]");
        await page.FillAsync("input[data-testid=endpoint-url]", "ftp://nope");
        await page.Locator("input[data-testid=endpoint-url]").BlurAsync();
        await Assertions.Expect(page.Locator("[data-testid=endpoint-form]")).ToContainTextAsync("absolute https:// URL");
        await PortalServer.ScreenshotAsync(page, "41-webhooks-form-invalid");
        await page.FillAsync("input[data-testid=endpoint-url]", url);
        await page.ClickAsync("[data-testid=save-endpoint]");
        await Assertions.Expect(page.Locator("[data-testid=new-secret] [data-testid=secret-value]")).ToContainTextAsync("whsec_");
        await Assertions.Expect(page.Locator("[data-testid=endpoints-table]")).ToContainTextAsync("/hooks");
        await PortalServer.ScreenshotAsync(page, "42-webhooks-endpoint-secret");

        await page.ClickAsync("[data-testid=send-test]");
        var result = page.Locator("[data-testid=deliveries-table]");
        for (var i = 0; i < 40 && await result.CountAsync() == 0; i++)
        {
            await page.WaitForTimeoutAsync(250); // delivered off the request path: refresh the log until it shows
            await page.GetByLabel("Refresh deliveries").ClickAsync();
        }
        await Assertions.Expect(result).ToContainTextAsync("webhook.test");
        await Assertions.Expect(result).ToContainTextAsync("204");
        await page.Locator("[data-testid=delivery-details]").First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=delivery-request]")).ToContainTextAsync("v1,[redacted]");
        await DismissNoticesAsync(page);
        await PortalServer.ScreenshotAsync(page, "43-webhooks-deliveries");
        await page.SetViewportSizeAsync(390, 844);
        await PortalServer.ScreenshotAsync(page, "43-webhooks-deliveries-phone");
        lock (received)
        {
            var headers = Assert.Single(received);
            Assert.StartsWith("msg_", headers["webhook-id"]);
            Assert.StartsWith("v1,", headers["webhook-signature"]);
        }
        Assert.Contains(appId, page.Url);
    }

    /// <summary>Closes the snackbars ("Created …", "Test event queued") so the screenshots show the page under them.</summary>
    private static async Task DismissNoticesAsync(IPage page)
    {
        var close = page.Locator(".mud-snackbar button");
        // A notice may close on its own between the count and the click: then there is nothing left to click.
        while (await close.CountAsync() > 0)
            try { await close.First.ClickAsync(new LocatorClickOptions { Timeout = 2_000 }); }
            catch (TimeoutException) { }
        await Assertions.Expect(page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
    }
}
