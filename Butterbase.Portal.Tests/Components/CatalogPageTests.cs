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
        Assert.True(page.FindAll("[data-testid=tool-panel]").Count >= 10); // Gmail's hand-made tools (issue 14: at least ten)
        Assert.Contains("GMAIL_SEND_EMAIL", page.Markup);
    }

    [Fact]
    public void An_unknown_toolkit_says_so()
    {
        var page = Render<ToolkitPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Slug, "nope"));
        page.WaitForAssertion(() => Assert.Contains("No such toolkit", page.Markup));
    }
}
