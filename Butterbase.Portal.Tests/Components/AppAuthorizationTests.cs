using Microsoft.Extensions.DependencyInjection;
using Butterbase.Portal.Execution;
using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Apps.Pages;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Catalog.Pages;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Connections.Pages;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Toolkits;
using Butterbase.Portal.Toolkits.Pages;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

/// <summary>
/// docs/security.md [31], issue 13 class 1: the portal authorizes the app on the server for each operation, over a live
/// (interactive) circuit: a dialog opened by URL for another app, a dialog saved by someone who is not a member, and
/// every change clicked after the caller's membership was removed or lowered to viewer.
/// </summary>
public sealed class AppAuthorizationTests : PortalComponentContext
{
    private App _theirs = default!;

    public AppAuthorizationTests()
    {
        Services.AddExecution(); // the Executions page reads the log's truncation mark
        Services.AddSingleton<Butterbase.Portal.Connections.TokenRefresher>();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _theirs = await Service<AppRegistry>().CreateAsync("Theirs", "dev_stranger");
        await Service<ToolkitConfigs>().ConfigureAsync(_theirs.Id, new(Toolkit("gmail"), "Their Gmail", null, null, "their-client-id", "their-client-secret"));
    }

    private Toolkit Toolkit(string slug) => Service<ToolkitCatalog>().Find(slug)!;

    private async Task<ToolkitConfig> TheirGmailAsync() => (await Service<ToolkitConfigs>().ListAsync(_theirs.Id)).Single();

    private async Task SetRoleAsync(string appId, string? role)
    {
        await using var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        await db.AppMembers.Where(m => m.AppId == appId && m.DeveloperId == DeveloperId).ExecuteDeleteAsync();
        if (role is not null) db.AppMembers.Add(new AppMember { AppId = appId, DeveloperId = DeveloperId, Role = role, CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Opening_another_apps_toolkit_settings_by_url_shows_not_found_and_no_dialog()
    {
        var dialogs = Render<MudDialogProvider>();
        Service<NavigationManager>().NavigateTo($"/apps/{_theirs.Id}/toolkits?edit=gmail");
        var page = Render<ToolkitsPage>(p => p.Add(x => x.AppId, _theirs.Id));
        page.WaitForAssertion(() => Assert.Contains("App not found", page.Markup));
        await Task.Delay(300); // the page opens the dialog after its first interactive render, if it ever does
        Assert.DoesNotContain("their-client-id", dialogs.Markup);
        Assert.DoesNotContain("/v1/oauth/callback/gmail", dialogs.Markup);
        Assert.Empty(dialogs.FindAll("[data-testid=save-toolkit]"));
    }

    [Fact]
    public async Task Saving_another_apps_toolkit_dialog_as_a_non_member_changes_nothing()
    {
        // The exact attack: B's circuit holds the settings dialog of A's Gmail and presses Save with B's own OAuth client.
        var dialogs = Render<MudDialogProvider>();
        var service = Service<IDialogService>();
        await dialogs.InvokeAsync(() => service.ShowAsync<ToolkitConfigDialog>("Gmail settings", new DialogParameters<ToolkitConfigDialog>
        {
            { x => x.Toolkit, Toolkit("gmail") },
            { x => x.Config, TheirGmailAsync().GetAwaiter().GetResult() },
            { x => x.CallbackUrl, "https://portal.example/v1/oauth/callback/gmail" },
        }));
        dialogs.WaitForElement("input[data-testid=client-id], [data-testid=client-id] input").Input("attacker-client-id");
        dialogs.Find("input[data-testid=client-secret], [data-testid=client-secret] input").Input("attacker-client-secret");
        dialogs.Find("form").Submit();
        await Task.Delay(300);

        var row = await TheirGmailAsync();
        Assert.Equal("their-client-id", row.ClientId);
        Assert.Equal("their-client-secret", Service<ToolkitConfigs>().ClientSecretOf(row));
        Assert.Equal("Their Gmail", row.DisplayName);
    }

    [Fact]
    public async Task A_viewer_cannot_save_a_toolkit_dialog_either()
    {
        await SetRoleAsync(_theirs.Id, "viewer");
        var dialogs = Render<MudDialogProvider>();
        var service = Service<IDialogService>();
        await dialogs.InvokeAsync(() => service.ShowAsync<ToolkitConfigDialog>("Gmail settings", new DialogParameters<ToolkitConfigDialog>
        {
            { x => x.Toolkit, Toolkit("gmail") },
            { x => x.Config, TheirGmailAsync().GetAwaiter().GetResult() },
            { x => x.CallbackUrl, "https://portal.example/v1/oauth/callback/gmail" },
        }));
        dialogs.WaitForElement("input[data-testid=client-id], [data-testid=client-id] input").Input("viewer-client-id");
        dialogs.Find("form").Submit();
        await Task.Delay(300);
        Assert.Equal("their-client-id", (await TheirGmailAsync()).ClientId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("viewer")]
    public async Task Every_change_on_an_open_page_is_checked_again_when_it_is_made(string? demotedTo)
    {
        // Rendered as a developer with every button live; then the membership is removed (or lowered to viewer) while the
        // circuit stays open; then each button is pressed. Nothing may change.
        await SetRoleAsync(_theirs.Id, "developer");
        var dialogs = Render<MudDialogProvider>();
        await using (var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync())
        {
            var connection = new Connection
            {
                Id = Ids.New("cn_", 20), AppId = _theirs.Id, UserId = "alice", ToolkitSlug = "gmail", Status = "active", AuthScheme = "oauth2",
                AccountLabel = "alice@example.com", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            };
            connection.Credentials = Service<CredentialProtector>().Protect(_theirs.Id, connection.Id, new StoredCredentials { AccessToken = "tok" });
            db.Connections.Add(connection);
            await db.SaveChangesAsync();
        }
        var (key, _) = await Service<ApiKeys>().CreateAsync(_theirs.Id, "their key");

        var toolkits = Render<ToolkitsPage>(p => p.Add(x => x.AppId, _theirs.Id));
        var toolkits2 = Render<ToolkitsPage>(p => p.Add(x => x.AppId, _theirs.Id)); // the settings click on a page no refusal has re-rendered
        var keys = Render<ApiKeysPage>(p => p.Add(x => x.AppId, _theirs.Id));
        var keys2 = Render<ApiKeysPage>(p => p.Add(x => x.AppId, _theirs.Id)); // a refused click re-renders its page read-only
        var connections = Render<ConnectionsPage>(p => p.Add(x => x.AppId, _theirs.Id));
        var settings = Render<SettingsPage>(p => p.Add(x => x.AppId, _theirs.Id));
        var catalog = Render<ToolkitPage>(p => p.Add(x => x.AppId, _theirs.Id).Add(x => x.Slug, "slack"));
        toolkits.WaitForElement("[data-testid=toolkit-enabled]");
        toolkits2.WaitForElement("[data-testid=edit-toolkit]");
        keys.WaitForElement("[data-testid=revoke-key]");
        keys2.WaitForElement("[data-testid=create-key]");
        connections.WaitForElement("[data-testid=disconnect]");
        settings.WaitForElement("input[data-testid=settings-name], [data-testid=settings-name] input");
        catalog.WaitForElement("[data-testid=enable-for-app]");

        await SetRoleAsync(_theirs.Id, demotedTo);

        toolkits.Find("input[data-testid=toolkit-enabled], [data-testid=toolkit-enabled] input").Change(false);
        toolkits2.Find("[data-testid=edit-toolkit]").Click();
        keys.Find("[data-testid=revoke-key]").Click();
        keys2.Find("[data-testid=create-key]").Click();
        connections.Find("[data-testid=disconnect]").Click();
        settings.Find("input[data-testid=settings-name], [data-testid=settings-name] input").Input("Renamed by someone else");
        settings.Find("form").Submit();
        catalog.Find("[data-testid=enable-for-app]").Click();
        await Task.Delay(500);

        Assert.Empty(dialogs.FindAll(".mud-dialog")); // no settings, confirmation or new-key dialog was opened
        var gmail = await TheirGmailAsync();
        Assert.True(gmail.Enabled);
        Assert.Null((await Service<ApiKeys>().ListAsync(_theirs.Id)).Single(k => k.Id == key.Id).RevokedAt);
        Assert.Single(await Service<ApiKeys>().ListAsync(_theirs.Id));
        await using (var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync())
        {
            Assert.Equal(1, await db.Connections.CountAsync(c => c.AppId == _theirs.Id));
            Assert.Equal("Theirs", (await db.Apps.SingleAsync(a => a.Id == _theirs.Id)).Name);
            Assert.False(await db.ToolkitConfigs.AnyAsync(t => t.AppId == _theirs.Id && t.ToolkitSlug == "slack"));
            Assert.Empty(await db.AppActivities.Where(a => a.AppId == _theirs.Id).ToListAsync());
        }
    }

    [Fact]
    public async Task A_member_removed_while_the_page_is_open_stops_seeing_rows_at_the_next_load()
    {
        await SetRoleAsync(_theirs.Id, "viewer");
        await using (var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync())
        {
            db.Executions.Add(new Butterbase.Portal.Execution.ExecutionRecord
            {
                Id = Ids.New("ex_"), AppId = _theirs.Id, UserId = "alice", ToolName = "GMAIL_SEND_EMAIL", ToolkitSlug = "gmail", Successful = true, CreatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        var page = Render<Butterbase.Portal.Execution.Pages.ExecutionsPage>(p => p.Add(x => x.AppId, _theirs.Id));
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=execution-tool]")));
        await SetRoleAsync(_theirs.Id, null);
        page.Find("[data-testid=refresh-executions]").Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=execution-tool]")));
    }
}
