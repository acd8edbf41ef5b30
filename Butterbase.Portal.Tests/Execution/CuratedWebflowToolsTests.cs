using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class WebflowFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string> { ["webflow"] = "/v2" });

/// <summary>
/// The hand-made Webflow toolkit (the `webflow-api` package is a generated SDK that ships no spec; the directory's
/// webflow.com entry is another company's API) runs declaratively against a stand-in for Webflow's Data API v2: lists are
/// wrapped (`{sites}`, `{items, pagination}`), an item's values are `fieldData` by field slug, errors are `{code, message}`.
/// </summary>
public sealed class CuratedWebflowToolsTests(WebflowFixture webflow) : IClassFixture<WebflowFixture>
{
    private const string SiteId = "580e63e98c9a982ac9b8b741";
    private const string CollectionId = "580e63fc8c9a982ac9b8b745";
    private const string ItemId = "580e64008c9a982ac9b8b754";

    private static JsonNode Item(string name) => JsonNode.Parse($$$"""
        {"id":"{{{ItemId}}}","cmsLocaleId":"653ad57de882f528b32e810e","lastPublished":null,"lastUpdated":"2025-05-12T15:50:38.000Z","isArchived":false,"isDraft":false,
         "fieldData":{"name":"{{{name}}}","slug":"launch"}}
        """)!;

    [Fact]
    public async Task The_user_sites_and_a_site_are_read_and_a_site_is_published()
    {
        webflow.Api.On("GET", "/v2/token/authorized_by", r => (200, JsonNode.Parse("""{"id":"545bbecb7bdd6769632504a7","email":"ada@example.com","firstName":"Ada","lastName":"Lovelace"}"""), null));
        webflow.Api.On("GET", "/v2/sites", r => (200, JsonNode.Parse($$$"""{"sites":[{"id":"{{{SiteId}}}","displayName":"Acme","shortName":"acme","previewUrl":"https://acme.webflow.io","customDomains":[{"id":"589a331aa51e760df7ccb89d","url":"acme.com"}]}]}"""), null));
        webflow.Api.On("GET", $"/v2/sites/{SiteId}", r => (200, JsonNode.Parse($$$"""{"id":"{{{SiteId}}}","displayName":"Acme","shortName":"acme"}"""), null));
        webflow.Api.On("GET", "/v2/sites/missing", r => (404, JsonNode.Parse("""{"code":"resource_not_found","message":"Requested resource not found: The site cannot be found"}"""), null));
        webflow.Api.On("POST", $"/v2/sites/{SiteId}/publish", r => (202, JsonNode.Parse("""{"customDomains":[{"id":"589a331aa51e760df7ccb89d","url":"acme.com"}],"publishToWebflowSubdomain":true}"""), null));

        Assert.Equal("ada@example.com", (await webflow.SucceedsAsync("WEBFLOW_GET_AUTHORIZED_USER", null)).GetProperty("email").GetString());
        Assert.StartsWith("Bearer ", webflow.Received("GET", "/v2/token/authorized_by").Headers["Authorization"]);
        Assert.Equal(SiteId, (await webflow.SucceedsAsync("WEBFLOW_LIST_SITES", null)).GetProperty("sites")[0].GetProperty("id").GetString());
        Assert.Equal("acme", (await webflow.SucceedsAsync("WEBFLOW_GET_SITE", new { site_id = SiteId })).GetProperty("shortName").GetString());
        var failed = await webflow.FailsAsync("WEBFLOW_GET_SITE", new { site_id = "missing" }, "upstream_error", 404);
        Assert.Equal("resource_not_found", failed.GetProperty("data").GetProperty("code").GetString());

        await webflow.SucceedsAsync("WEBFLOW_PUBLISH_SITE", new { site_id = SiteId, customDomains = new[] { "589a331aa51e760df7ccb89d" }, publishToWebflowSubdomain = true });
        var body = webflow.Received("POST", $"/v2/sites/{SiteId}/publish").Json!.AsObject();
        Assert.Equal(["customDomains", "publishToWebflowSubdomain"], body.Select(p => p.Key).Order());
    }

    [Fact]
    public async Task Collection_items_are_listed_created_from_field_data_updated_published_and_deleted()
    {
        webflow.Api.On("GET", $"/v2/sites/{SiteId}/collections", r => (200, JsonNode.Parse($$$"""{"collections":[{"id":"{{{CollectionId}}}","displayName":"Blog Posts","singularName":"Blog Post","slug":"post"}]}"""), null));
        webflow.Api.On("GET", $"/v2/collections/{CollectionId}", r => (200, JsonNode.Parse($$$"""
            {"id":"{{{CollectionId}}}","displayName":"Blog Posts","slug":"post","fields":[{"id":"7f62a9781291109b9e428fb47239fd35","slug":"name","displayName":"Name","type":"PlainText","isRequired":true}]}
            """), null));
        webflow.Api.On("GET", $"/v2/collections/{CollectionId}/items", r => (200, new JsonObject { ["items"] = new JsonArray(Item("Launch")), ["pagination"] = JsonNode.Parse("""{"limit":10,"offset":0,"total":1}""") }, null));
        webflow.Api.On("GET", $"/v2/collections/{CollectionId}/items/{ItemId}", r => (200, Item("Launch"), null));
        webflow.Api.On("POST", $"/v2/collections/{CollectionId}/items", r => r.Json!["fieldData"] is JsonObject data && data["slug"] is not null
            ? (202, Item(data["name"]!.GetValue<string>()), null)
            : (400, JsonNode.Parse("""{"code":"validation_error","message":"Validation Error: fieldData.slug is required"}"""), null));
        webflow.Api.On("PATCH", $"/v2/collections/{CollectionId}/items/{ItemId}", r => (200, Item(r.Json!["fieldData"]!["name"]!.GetValue<string>()), null));
        webflow.Api.On("POST", $"/v2/collections/{CollectionId}/items/publish", r => (202, new JsonObject { ["publishedItemIds"] = r.Json!["itemIds"]!.DeepClone(), ["errors"] = new JsonArray() }, null));
        webflow.Api.On("DELETE", $"/v2/collections/{CollectionId}/items/{ItemId}", r => (204, null, null));
        webflow.Api.On("GET", "/v2/forms/6321ca84df3949bfc6752327/submissions", r => (200, JsonNode.Parse("""
            {"formSubmissions":[{"id":"6321ca84df3949bfc6752331","displayName":"Contact","dateSubmitted":"2025-05-12T15:50:38.000Z","formResponse":{"Email":"ada@example.com"}}],"pagination":{"limit":100,"offset":0,"total":1}}
            """), null));

        Assert.Equal("post", (await webflow.SucceedsAsync("WEBFLOW_LIST_COLLECTIONS", new { site_id = SiteId })).GetProperty("collections")[0].GetProperty("slug").GetString());
        Assert.Equal("name", (await webflow.SucceedsAsync("WEBFLOW_GET_COLLECTION", new { collection_id = CollectionId })).GetProperty("fields")[0].GetProperty("slug").GetString());
        Assert.Equal(1, (await webflow.SucceedsAsync("WEBFLOW_LIST_ITEMS", new { collection_id = CollectionId, limit = 10 })).GetProperty("pagination").GetProperty("total").GetInt32());
        Assert.Equal(["10"], webflow.Received("GET", $"/v2/collections/{CollectionId}/items").QueryValues["limit"]);
        Assert.Equal("Launch", (await webflow.SucceedsAsync("WEBFLOW_GET_ITEM", new { collection_id = CollectionId, item_id = ItemId })).GetProperty("fieldData").GetProperty("name").GetString());

        var created = await webflow.SucceedsAsync("WEBFLOW_CREATE_ITEM", new { collection_id = CollectionId, fieldData = """{"name":"Launch","slug":"launch"}""", isDraft = false });
        Assert.Equal(ItemId, created.GetProperty("id").GetString());
        Assert.Equal("launch", webflow.Received("POST", $"/v2/collections/{CollectionId}/items").Json!["fieldData"]!["slug"]!.GetValue<string>()); // JSON text sent as JSON
        var invalid = await webflow.FailsAsync("WEBFLOW_CREATE_ITEM", new { collection_id = CollectionId, fieldData = """{"name":"No slug"}""" }, "upstream_error", 400);
        Assert.Equal("validation_error", invalid.GetProperty("data").GetProperty("code").GetString());

        Assert.Equal("Launch 2", (await webflow.SucceedsAsync("WEBFLOW_UPDATE_ITEM", new { collection_id = CollectionId, item_id = ItemId, fieldData = """{"name":"Launch 2"}""" }))
            .GetProperty("fieldData").GetProperty("name").GetString());
        Assert.Equal([ItemId], (await webflow.SucceedsAsync("WEBFLOW_PUBLISH_ITEMS", new { collection_id = CollectionId, itemIds = new[] { ItemId } }))
            .GetProperty("publishedItemIds").EnumerateArray().Select(i => i.GetString()));
        await webflow.SucceedsAsync("WEBFLOW_DELETE_ITEM", new { collection_id = CollectionId, item_id = ItemId });
        webflow.Received("DELETE", $"/v2/collections/{CollectionId}/items/{ItemId}");

        Assert.Equal("ada@example.com", (await webflow.SucceedsAsync("WEBFLOW_LIST_FORM_SUBMISSIONS", new { form_id = "6321ca84df3949bfc6752327" }))
            .GetProperty("formSubmissions")[0].GetProperty("formResponse").GetProperty("Email").GetString());
    }

    [Fact]
    public async Task Field_data_that_is_not_json_is_refused_before_webflow_is_called()
    {
        var before = webflow.Api.Requests.Count;
        await JsonAssert.ErrorAsync(await webflow.PostExecuteAsync("WEBFLOW_CREATE_ITEM", new { collection_id = CollectionId, fieldData = "name=Launch" }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, webflow.Api.Requests.Count);
    }
}
