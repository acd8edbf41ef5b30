using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Connections.Pages;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

/// <summary>The connection dialog's actions: reconnect link, disconnect after a confirmation, copy id, its runs; none live for a viewer.</summary>
public sealed class ConnectionDialogTests : PortalComponentContext
{
    private App _app = default!;
    private Connection _connection = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
        await using var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        _connection = new Connection
        {
            Id = Ids.New("cn_", 20), AppId = _app.Id, UserId = "alice", ToolkitSlug = "gmail", Status = "expired", AuthScheme = "oauth2",
            AccountLabel = "alice@example.com", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        };
        _connection.Credentials = Service<CredentialProtector>().Protect(_app.Id, _connection.Id, new StoredCredentials { AccessToken = "secret-access-token" });
        db.Connections.Add(_connection);
        await db.SaveChangesAsync();
    }

    private async Task SetRoleAsync(string role)
    {
        await using var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        await db.AppMembers.Where(m => m.AppId == _app.Id && m.DeveloperId == DeveloperId).ExecuteUpdateAsync(s => s.SetProperty(m => m.Role, role));
    }

    private async Task<int> ConnectionsAsync()
    {
        await using var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        return await db.Connections.CountAsync(c => c.AppId == _app.Id);
    }

    /// <summary>The connections page with the dialog opened on the seeded connection's row.</summary>
    private (IRenderedComponent<MudDialogProvider> Dialogs, IRenderedComponent<ConnectionsPage> Page) Open()
    {
        Render<MudSnackbarProvider>();
        var dialogs = Render<MudDialogProvider>();
        var page = Render<ConnectionsPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=connection-account]").Click();
        dialogs.WaitForElement("[data-testid=connection-id]");
        return (dialogs, page);
    }

    [Fact]
    public void The_reconnect_link_renews_this_connection_for_its_user_and_ends_on_the_portals_done_page()
    {
        var (dialogs, _) = Open();
        dialogs.WaitForElement("[data-testid=create-reconnect-link]").Click();
        var link = dialogs.WaitForElement("[data-testid=reconnect-link] [data-testid=secret-value]").TextContent;
        Assert.StartsWith("http://localhost" + ConnectLinks.StartPath + "?t=", link);
        Assert.Contains("works once", dialogs.Find("[data-testid=reconnect-panel]").TextContent);

        // The sealed link names this app, user, toolkit and connection (a reconnect renews it in place).
        var sealedText = QueryHelpers.ParseQuery(new Uri(link).Query)["t"].ToString();
        var parts = Service<IDataProtectionProvider>().CreateProtector("Butterbase.Connections.ConnectLink").ToTimeLimitedDataProtector()
            .Unprotect(sealedText, out _).Split('\n');
        Assert.Equal([_app.Id, "alice", "gmail", _connection.Id], parts[..4]);
    }

    [Fact]
    public async Task Disconnect_asks_first_keep_it_changes_nothing_and_yes_removes_the_connection_and_the_row()
    {
        var (dialogs, page) = Open();
        dialogs.Find("[data-testid=dialog-disconnect]").Click();
        dialogs.WaitForElement("[data-testid=disconnect-confirm]");
        Assert.Contains("alice@example.com of user alice", dialogs.Find("[data-testid=disconnect-confirm]").TextContent);
        dialogs.Find("[data-testid=disconnect-confirm-no]").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=disconnect-confirm]")));
        Assert.Equal(1, await ConnectionsAsync());

        dialogs.Find("[data-testid=dialog-disconnect]").Click();
        dialogs.WaitForElement("[data-testid=disconnect-confirm-yes]").Click();
        await page.WaitForAssertionAsync(async () => Assert.Equal(0, await ConnectionsAsync()));
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")));
        page.WaitForAssertion(() => Assert.Contains("No connections yet", page.Markup)); // the page reloaded its list
        var activity = await Service<AppTeam>().ActivityAsync(_app.Id, 10);
        Assert.Contains(activity, a => a.Action == "connection.deleted" && a.Target == "gmail of user alice");
    }

    [Fact]
    public void Copy_id_copies_the_connection_id_and_its_executions_link_filters_on_it()
    {
        var (dialogs, _) = Open();
        var copy = dialogs.Find("[data-testid=connection-id] [data-testid=secret-copy]");
        Assert.Equal("Copy connection id", copy.GetAttribute("aria-label"));
        copy.Click();
        dialogs.WaitForAssertion(() => Assert.Contains(JSInterop.Invocations["butterbase.copy"], i => (string?)i.Arguments[0] == _connection.Id));
        Assert.EndsWith($"/apps/{_app.Id}/executions?connection={_connection.Id}", dialogs.Find("[data-testid=connection-runs]").GetAttribute("href"));
    }

    [Fact]
    public async Task A_viewer_sees_no_disconnect_or_reconnect_and_a_developer_demoted_with_the_dialog_open_changes_nothing()
    {
        await SetRoleAsync("viewer");
        var (dialogs, _) = Open();
        Assert.Empty(dialogs.FindAll("[data-testid=dialog-disconnect]"));
        Assert.Empty(dialogs.FindAll("[data-testid=create-reconnect-link]"));
        Assert.NotEmpty(dialogs.FindAll("[data-testid=connection-runs]")); // reading stays
        dialogs.Find("button:last-child").Click();

        // Server-side, not only hidden: open as a developer, be demoted, then press the button (each in a fresh dialog:
        // a refused click re-renders the dialog read-only).
        var dialogs2 = Render<MudDialogProvider>();
        await SetRoleAsync("developer");
        await dialogs2.InvokeAsync(() => Service<IDialogService>().ShowAsync<ConnectionDialog>("Connection",
            new DialogParameters<ConnectionDialog> { { x => x.Connection, _connection } }));
        dialogs2.WaitForElement("[data-testid=create-reconnect-link]");
        await SetRoleAsync("viewer");
        dialogs2.Find("[data-testid=create-reconnect-link]").Click();
        dialogs2.WaitForAssertion(() => Assert.Empty(dialogs2.FindAll("[data-testid=create-reconnect-link]"))); // now read-only
        Assert.Empty(dialogs2.FindAll("[data-testid=reconnect-link]"));

        await SetRoleAsync("developer");
        await dialogs2.InvokeAsync(() => Service<IDialogService>().ShowAsync<ConnectionDialog>("Connection",
            new DialogParameters<ConnectionDialog> { { x => x.Connection, _connection } }));
        dialogs2.WaitForElement("[data-testid=dialog-disconnect]").Click();
        dialogs2.WaitForElement("[data-testid=disconnect-confirm-yes]");
        await SetRoleAsync("viewer");
        dialogs2.Find("[data-testid=disconnect-confirm-yes]").Click();
        dialogs2.WaitForAssertion(() => Assert.Empty(dialogs2.FindAll("[data-testid=disconnect-confirm]")));
        Assert.Equal(1, await ConnectionsAsync());
        Assert.DoesNotContain(await Service<AppTeam>().ActivityAsync(_app.Id, 10), a => a.Action.StartsWith("connection."));
    }
}
