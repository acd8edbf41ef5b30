using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Connections.Pages;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Toolkits;
using Butterbase.Portal.Toolkits.Pages;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

public sealed class ToolkitsAndConnectionsPageTests : PortalComponentContext
{
    private App _app = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
    }

    private Toolkit Toolkit(string slug) => Service<ToolkitCatalog>().Find(slug)!;

    [Fact]
    public void With_nothing_enabled_the_toolkits_page_points_at_the_sandbox()
    {
        var page = Render<ToolkitsPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Contains("No toolkits enabled yet", page.Find("[data-testid=empty-state]").TextContent));
        Assert.Contains("Sandbox", page.Markup);
    }

    [Fact]
    public async Task Settings_validate_custom_oauth_credentials_inline_and_keep_the_secret_write_only()
    {
        await Service<ToolkitConfigs>().ConfigureAsync(_app.Id, new(Toolkit("github"), null, null, null, null, null));
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ToolkitsPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=edit-toolkit]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("/v1/oauth/callback/github", dialogs.Markup));
        dialogs.Find("input[data-testid=use-custom-client], [data-testid=use-custom-client] input").Change(true);
        dialogs.WaitForElement("input[data-testid=client-id], [data-testid=client-id] input");
        dialogs.Find("form").Submit();
        dialogs.WaitForAssertion(() => Assert.Contains("Enter your OAuth app's client id.", dialogs.Markup));
        Assert.Contains("Enter your OAuth app's client secret.", dialogs.Markup);

        dialogs.Find("input[data-testid=client-id], [data-testid=client-id] input").Input("Iv1.custom");
        dialogs.Find("input[data-testid=client-secret], [data-testid=client-secret] input").Input("custom-secret-value");
        dialogs.Find("form").Submit();

        await page.WaitForAssertionAsync(async () =>
        {
            var row = (await Service<ToolkitConfigs>().ListAsync(_app.Id)).Single();
            Assert.Equal("Iv1.custom", row.ClientId);
            Assert.Equal("custom-secret-value", Service<ToolkitConfigs>().ClientSecretOf(row));
        });
        page.WaitForAssertion(() => Assert.Contains("your own", page.Find("[data-testid=toolkits-table]").TextContent));
        Assert.DoesNotContain("custom-secret-value", page.Markup + dialogs.Markup);
    }

    [Fact]
    public async Task Disabling_a_toolkit_keeps_it_listed_as_disabled()
    {
        await Service<ToolkitConfigs>().ConfigureAsync(_app.Id, new(Toolkit("slack"), null, null, null, null, null));
        var page = Render<ToolkitsPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("input[data-testid=toolkit-enabled], [data-testid=toolkit-enabled] input").Change(false);
        await page.WaitForAssertionAsync(async () => Assert.False((await Service<ToolkitConfigs>().ListAsync(_app.Id)).Single().Enabled));
        page.WaitForAssertion(() => Assert.True(page.Find("[data-testid=connect-test-user]").HasAttribute("disabled")));
    }

    private async Task<Connection> SeedConnectionAsync(string user, string slug, string status = "active", string? label = null)
    {
        await using var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        var connection = new Connection
        {
            Id = Ids.New("cn_", 20), AppId = _app.Id, UserId = user, ToolkitSlug = slug, Status = status, AuthScheme = "oauth2",
            AccountLabel = label ?? $"{user}@example.com", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        connection.Credentials = Service<CredentialProtector>().Protect(_app.Id, connection.Id, new StoredCredentials { AccessToken = "secret-access-token" });
        db.Connections.Add(connection);
        db.ConnectionEvents.Add(new ConnectionEvent { ConnectionId = connection.Id, Kind = "connected", Detail = connection.AccountLabel, At = DateTime.UtcNow });
        await db.SaveChangesAsync();
        return connection;
    }

    [Fact]
    public async Task The_inspector_filters_shows_history_and_disconnects_after_confirmation()
    {
        await SeedConnectionAsync("alice", "gmail");
        await SeedConnectionAsync("bob", "slack", "expired", "Bob's workspace");
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ConnectionsPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=connection-account]").Count));
        Assert.Contains("expired", page.Find("[data-testid=connections-table]").TextContent);
        Assert.DoesNotContain("secret-access-token", page.Markup);

        page.Find("input[data-testid=filter-user], [data-testid=filter-user] input").Input("bob");
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=connection-account]")), TimeSpan.FromSeconds(3));
        Assert.Contains("Bob's workspace", page.Find("[data-testid=connection-account]").TextContent);

        page.Find("[data-testid=connection-account]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("connected", dialogs.Find("[data-testid=connection-history]").TextContent));
        dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Close").Click();

        page.Find("[data-testid=disconnect]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("Disconnect this account?", dialogs.Markup));
        dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Disconnect").Click();
        await page.WaitForAssertionAsync(async () =>
        {
            await using var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
            Assert.Equal(["alice"], await db.Connections.Select(c => c.UserId).ToListAsync());
        });
    }

    [Fact]
    public async Task No_connections_says_how_to_make_one()
    {
        var page = Render<ConnectionsPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Contains("No connections yet", page.Find("[data-testid=empty-state]").TextContent));
        await Task.CompletedTask;
    }
}
