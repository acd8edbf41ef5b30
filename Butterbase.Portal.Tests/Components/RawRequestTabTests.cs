using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Execution.Pages;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Components;

/// <summary>
/// The Playground's "Raw request" tab over a live circuit: it sends through the proxy as the chosen test user and shows
/// the answer; a send after the caller lost the developer role is refused and nothing reaches the provider
/// (docs/security.md [31]).
/// </summary>
public sealed class RawRequestTabTests : PortalComponentContext
{
    private FakeProviderApi _api = default!;
    private App _app = default!;

    public RawRequestTabTests()
    {
        _api = FakeProviderApi.StartAsync().GetAwaiter().GetResult();
        _api.On("GET", "/api/1.0/projects", r => (200, new { data = new[] { new { name = "Launch" } }, auth = r.Headers["Authorization"] }, null));
        // The shared context's configuration, plus the toolkit pointed at the stand-in (the last registration wins).
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Butterbase:PublicBaseUrl"] = "http://localhost",
            ["Butterbase:Toolkits:asana:ApiBaseUrl"] = _api.BaseUrl + "/api/1.0",
            ["Butterbase:Outbound:AllowPrivateNetworks"] = "true",
        }).Build());
        Services.AddSingleton<Butterbase.Portal.Outbound.OutboundPolicy>();
        Services.AddOptions<Butterbase.Portal.Outbound.OutboundOptions>().BindConfiguration("Butterbase:Outbound");
        Services.AddSingleton(_ => _api); // created by a factory: disposed with the container
        Services.AddExecution();
        Services.AddSingleton<TokenRefresher>();
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Ours", DeveloperId);
        await Service<ToolkitConfigs>().ConfigureAsync(_app.Id, new(Service<ToolkitCatalog>().Find("asana")!, null, null, null, null, null));
        await using var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        var connection = new Connection
        {
            Id = Ids.New("cn_", 20),
            AppId = _app.Id,
            UserId = "tester",
            ToolkitSlug = "asana",
            Status = ConnectionStatus.Active,
            AuthScheme = "bearer",
            CreatedAt = DateTime.UtcNow,
            UpdatedAt = DateTime.UtcNow,
        };
        connection.Credentials = Service<CredentialProtector>().Protect(_app.Id, connection.Id, new StoredCredentials { Scheme = "bearer", AccessToken = "tester-token-0001" });
        db.Connections.Add(connection);
        await db.SaveChangesAsync();
        _ = Service<FakeProviderApi>(); // resolved once, so the container disposes the stand-in with the context
    }

    private IRenderedComponent<PlaygroundPage> OpenRawTab()
    {
        var page = Render<PlaygroundPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Contains("Raw request", page.Markup));
        page.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Raw request")).Click();
        page.WaitForElement("[data-testid=raw-empty]");
        return page;
    }

    [Fact]
    public async Task The_playground_opens_on_a_toolkit_that_has_a_connected_user()
    {
        // A toolkit that sorts before Asana and that nobody has connected: the Playground must not open on it.
        var first = Service<ToolkitCatalog>().Toolkits.Where(t => string.CompareOrdinal(t.Name, "Asana") < 0 && t.Slug != "asana").OrderBy(t => t.Name).First();
        await Service<ToolkitConfigs>().ConfigureAsync(_app.Id, new(first, null, null, null, null, null));

        var page = Render<PlaygroundPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Equal("asana", page.Instance.SelectedToolkit));
        Assert.DoesNotContain("No connected user for this toolkit yet", page.Markup);
    }

    [Fact]
    public void A_developer_sends_as_the_test_user_and_sees_status_headers_and_body()
    {
        var page = OpenRawTab();
        page.Find("input[data-testid=raw-path]").Input("/projects");
        page.Find("[data-testid=raw-send]").Click();

        page.WaitForAssertion(() => Assert.Equal("200", page.Find("[data-testid=raw-status]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Contains("Launch", page.Find("[data-testid=raw-response-body]").TextContent);
        Assert.Contains("content-type", page.Find("[data-testid=raw-headers-table]").TextContent);
        Assert.Equal("Bearer tester-token-0001", Assert.Single(_api.Requests).Headers["Authorization"]);
        // The echoed token is the connection's own secret: the page shows it redacted, like the API.
        Assert.DoesNotContain("tester-token-0001", page.Markup);
    }

    [Fact]
    public void A_refused_path_is_shown_next_to_the_field_and_nothing_is_sent()
    {
        var page = OpenRawTab();
        page.Find("input[data-testid=raw-path]").Input("/%2e%2e/admin");
        page.Find("[data-testid=raw-send]").Click();
        page.WaitForAssertion(() => Assert.Contains("invalid_request", page.Find("[data-testid=raw-error]").TextContent));
        Assert.Contains("must stay under the API base", page.Markup);
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task A_send_after_the_caller_became_a_viewer_is_refused_and_nothing_is_sent()
    {
        var notices = Render<MudBlazor.MudSnackbarProvider>();
        var page = OpenRawTab();
        page.Find("input[data-testid=raw-path]").Input("/projects");
        await using (var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync())
            await db.AppMembers.Where(m => m.AppId == _app.Id && m.DeveloperId == DeveloperId).ExecuteUpdateAsync(s => s.SetProperty(m => m.Role, "viewer"));

        page.Find("[data-testid=raw-send]").Click();
        notices.WaitForAssertion(() => Assert.Contains("cannot do this", notices.Markup));
        Assert.Empty(_api.Requests);
        Assert.Empty(page.FindAll("[data-testid=raw-status]"));
    }
}
