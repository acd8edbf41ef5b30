using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Webhooks;
using Butterbase.Portal.Webhooks.Pages;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

public sealed class WebhooksPageTests : PortalComponentContext
{
    private App _app = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
    }

    [Fact]
    public void With_no_endpoints_it_says_what_to_do_and_offers_to_add_one()
    {
        var page = Render<WebhooksPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Contains("No webhook endpoints yet", page.Find("[data-testid=empty-state]").TextContent));
        Assert.Contains("https URL", page.Find("[data-testid=empty-state]").TextContent);
        Assert.NotEmpty(page.FindAll("[data-testid=add-endpoint]"));
    }

    [Fact]
    public async Task Adding_checks_the_url_inline_then_shows_the_secret_masked_once_and_the_row_without_it()
    {
        Render<MudPopoverProvider>();
        var page = Render<WebhooksPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=add-endpoint]").Click();
        var url = page.WaitForElement("input[data-testid=endpoint-url], [data-testid=endpoint-url] input");
        url.Input("http://127.0.0.1/hooks");
        url.Blur();
        page.Find("[data-testid=save-endpoint]").Click();
        page.WaitForAssertion(() => Assert.Contains("https://", page.Find("[data-testid=endpoint-form]").TextContent)); // inline: use https / private address
        Assert.Empty(await Service<WebhookEndpoints>().ListAsync(_app.Id));

        page.Find("input[data-testid=endpoint-url], [data-testid=endpoint-url] input").Input("https://hooks.example.com/butterbase");
        page.Find("[data-testid=save-endpoint]").Click();
        var shown = page.WaitForElement("[data-testid=new-secret] [data-testid=secret-value]");
        Assert.Contains("•", shown.TextContent);
        var endpoint = Assert.Single(await Service<WebhookEndpoints>().ListAsync(_app.Id));
        var secret = await Service<WebhookEndpoints>().SecretAsync(_app.Id, endpoint.Id);
        Assert.DoesNotContain(secret!, page.Markup); // masked until revealed
        page.Find("[data-testid=new-secret] [data-testid=secret-reveal]").Click();
        Assert.Equal(secret, page.Find("[data-testid=new-secret] [data-testid=secret-value]").TextContent.Trim());
        Assert.Contains("https://hooks.example.com/butterbase", page.Find("[data-testid=endpoints-table]").TextContent);
        Assert.Contains("all events", page.Find("[data-testid=endpoints-table]").TextContent);

        // Opened again: the table, no secret anywhere until asked for.
        var again = Render<WebhooksPage>(p => p.Add(x => x.AppId, _app.Id));
        again.WaitForElement("[data-testid=endpoints-table]");
        Assert.DoesNotContain(secret!, again.Markup);
        Assert.DoesNotContain(secret!["whsec_".Length..], again.Markup);
    }

    [Fact]
    public async Task The_delivery_log_shows_attempts_with_request_and_response_and_replays()
    {
        var (endpoint, _, _) = await Service<WebhookEndpoints>().CreateAsync(_app.Id, "https://hooks.example.com/x", null, true);
        await using (var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync())
        {
            db.Add(new WebhookMessage { Id = "msg_1", AppId = _app.Id, EventType = "connection.expired", Payload = "{\"type\":\"connection.expired\"}", CreatedAt = DateTime.UtcNow });
            db.Add(new WebhookDelivery { Id = "whd_1", AppId = _app.Id, EndpointId = endpoint!.Id, MessageId = "msg_1", State = WebhookDelivery.Failed, Attempts = 1, CreatedAt = DateTime.UtcNow });
            db.Add(new WebhookAttempt
            {
                Id = "wha_1", AppId = _app.Id, EndpointId = endpoint.Id, DeliveryId = "whd_1", MessageId = "msg_1", EventType = "connection.expired", Attempt = 1,
                StatusCode = 500, Error = "The endpoint answered 500.", DurationMs = 12, Request = "POST https://hooks.example.com/x\nwebhook-signature: v1,[redacted]",
                Response = "500 Internal Server Error\n\noops", CreatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        var page = Render<WebhooksPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=show-deliveries]").Click();
        page.WaitForAssertion(() => Assert.Contains("connection.expired", page.Find("[data-testid=deliveries-table]").TextContent));
        Assert.Contains("The endpoint answered 500.", page.Find("[data-testid=deliveries-table]").TextContent);
        page.Find("[data-testid=delivery-details]").Click();
        Assert.Contains("v1,[redacted]", page.Find("[data-testid=delivery-request]").TextContent);
        Assert.Contains("oops", page.Find("[data-testid=delivery-response]").TextContent);

        page.Find("[data-testid=replay]").Click();
        await using var check = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        page.WaitForAssertion(() => Assert.Equal(1, check.Set<WebhookDelivery>().Count(d => d.MessageId == "msg_1" && d.State == WebhookDelivery.Pending)));
    }

    [Fact]
    public async Task A_viewer_sees_endpoints_and_deliveries_but_no_secret_and_no_change_buttons()
    {
        var theirs = await Service<AppRegistry>().CreateAsync("Theirs", "dev_stranger");
        await using (var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync())
        {
            db.AppMembers.Add(new AppMember { AppId = theirs.Id, DeveloperId = DeveloperId, Role = "viewer", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        var (endpoint, secret, _) = await Service<WebhookEndpoints>().CreateAsync(theirs.Id, "https://hooks.example.com/v", null, true);
        var page = Render<WebhooksPage>(p => p.Add(x => x.AppId, theirs.Id));
        page.WaitForElement("[data-testid=endpoints-table]");
        Assert.NotEmpty(page.FindAll("[data-testid=read-only]"));
        Assert.Empty(page.FindAll("[data-testid=add-endpoint]"));
        Assert.Empty(page.FindAll("[data-testid=endpoint-menu]"));
        Assert.Empty(page.FindAll("[data-testid=send-test]"));
        Assert.DoesNotContain(secret!, page.Markup);
        Assert.NotNull(endpoint);
    }
}
