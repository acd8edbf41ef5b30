using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class NotionToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Notion, new Dictionary<string, string> { ["notion"] = "" });

/// <summary>
/// Notion tools (https://developers.notion.com/reference): every request carries `Notion-Version`, bodies are JSON,
/// errors are `{object: "error", status, code, message}` (https://developers.notion.com/reference/status-codes).
/// </summary>
public sealed partial class CuratedNotionToolsTests(NotionToolkitFixture notion) : IClassFixture<NotionToolkitFixture>
{
    private const string PageId = "59833787-2cf9-4fdf-8782-e53db20768a5";
    private FakeProviderApi Api => notion.Api;
    private NotionToolkitFixture Kit => notion;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    private static JsonObject Paragraph(string type, string text) =>
        new() { ["object"] = "block", ["type"] = type, [type] = new JsonObject { ["rich_text"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = new JsonObject { ["content"] = text } }) } };

    [Fact]
    public async Task Create_page_under_a_page_sends_the_version_header_title_and_markdown_blocks()
    {
        Api.On("POST", "/v1/pages", _ => (200, Json($$$"""{"object":"page","id":"c0ffee00-0000-4000-8000-000000000001","url":"https://www.notion.so/Launch-plan-c0ffee00","parent":{"type":"page_id","page_id":"{{{PageId}}}"}}"""), null));
        var data = await notion.SucceedsAsync("NOTION_CREATE_PAGE", new
        {
            parent_id = PageId,
            title = "Launch plan",
            content = "# Goals\nShip the beta.\nThen listen.\n\n- Docs\n- SDK\n1. Announce\n2. Measure\n\nThanks!",
        });
        Assert.Equal("https://www.notion.so/Launch-plan-c0ffee00", data.GetProperty("url").GetString());

        var sent = notion.Received("POST", "/v1/pages");
        Assert.Equal("2022-06-28", sent.Headers["Notion-Version"]);
        Assert.StartsWith("Bearer ntn_", sent.Headers["Authorization"]);
        var expected = new JsonObject
        {
            ["parent"] = new JsonObject { ["page_id"] = PageId },
            ["properties"] = Json("""{"title":{"title":[{"type":"text","text":{"content":"Launch plan"}}]}}"""),
            ["children"] = new JsonArray(
                Paragraph("heading_1", "Goals"), Paragraph("paragraph", "Ship the beta.\nThen listen."),
                Paragraph("bulleted_list_item", "Docs"), Paragraph("bulleted_list_item", "SDK"),
                Paragraph("numbered_list_item", "Announce"), Paragraph("numbered_list_item", "Measure"),
                Paragraph("paragraph", "Thanks!")),
        };
        Assert.True(JsonNode.DeepEquals(expected, sent.Json), sent.Body);
    }

    [Fact]
    public async Task Create_page_in_a_database_puts_the_title_in_the_name_column_and_long_text_is_split()
    {
        Api.On("POST", "/v1/pages", _ => (200, Json("""{"object":"page","id":"row1","url":"https://www.notion.so/row1"}"""), null));
        await notion.SucceedsAsync("NOTION_CREATE_PAGE", new { parent_id = "d9824bdc84454327be8b5b47500af6ce", parent_type = "database", title = "Bug 42", content = new string('x', 2500) });
        var sent = notion.Received("POST", "/v1/pages").Json!;
        Assert.Equal("d9824bdc84454327be8b5b47500af6ce", sent["parent"]!["database_id"]!.GetValue<string>());
        Assert.Equal("Bug 42", sent["properties"]!["Name"]!["title"]![0]!["text"]!["content"]!.GetValue<string>());
        var richText = sent["children"]![0]!["paragraph"]!["rich_text"]!.AsArray();
        Assert.Equal([2000, 500], richText.Select(t => t!["text"]!["content"]!.GetValue<string>().Length));
    }

    [Fact]
    public async Task Search_update_and_query_database_send_notions_bodies()
    {
        Api.On("POST", "/v1/search", _ => (200, Json("""{"object":"list","results":[{"object":"page","id":"p1"}],"next_cursor":null,"has_more":false}"""), null));
        Api.On("PATCH", $"/v1/pages/{PageId}", _ => (200, Json($$$"""{"object":"page","id":"{{{PageId}}}","archived":false}"""), null));
        Api.On("POST", "/v1/databases/d9824bdc84454327be8b5b47500af6ce/query", _ => (200, Json("""{"object":"list","results":[],"next_cursor":null,"has_more":false}"""), null));

        var found = await notion.SucceedsAsync("NOTION_SEARCH", new { query = "Launch", filter = new { property = "object", value = "page" }, sort = new { direction = "descending", timestamp = "last_edited_time" }, page_size = 10 });
        Assert.Equal("p1", found.GetProperty("results")[0].GetProperty("id").GetString());
        var search = notion.Received("POST", "/v1/search");
        Assert.Equal("2022-06-28", search.Headers["Notion-Version"]);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"query":"Launch","filter":{"property":"object","value":"page"},"sort":{"direction":"descending","timestamp":"last_edited_time"},"page_size":10}
            """), search.Json), search.Body);

        await notion.SucceedsAsync("NOTION_UPDATE_PAGE", new { page_id = PageId, properties = """{"Status":{"select":{"name":"Done"}}}""", archived = false });
        Assert.True(JsonNode.DeepEquals(Json("""{"properties":{"Status":{"select":{"name":"Done"}}},"archived":false}"""),
            notion.Received("PATCH", $"/v1/pages/{PageId}").Json));

        await notion.SucceedsAsync("NOTION_QUERY_DATABASE", new { database_id = "d9824bdc84454327be8b5b47500af6ce", filter = """{"property":"Status","select":{"equals":"Open"}}""", page_size = 25 });
        var query = notion.Received("POST", "/v1/databases/d9824bdc84454327be8b5b47500af6ce/query");
        Assert.True(JsonNode.DeepEquals(Json("""{"filter":{"property":"Status","select":{"equals":"Open"}},"page_size":25}"""), query.Json), query.Body);

        var before = Api.Requests.Count;
        await JsonAssert.ErrorAsync(await notion.PostExecuteAsync("NOTION_UPDATE_PAGE", new { page_id = PageId, properties = "{not json" }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task A_notion_400_validation_error_is_a_failed_result_carrying_notions_body()
    {
        Api.On("POST", "/v1/pages", _ => (400, Json("""
            {"object":"error","status":400,"code":"validation_error","message":"body failed validation: body.parent.page_id should be a valid uuid, instead was `\"nope\"`.","request_id":"0c3f5b5e-2d2f-4f0e-9f4b-3c1a2b3c4d5e"}
            """), null));
        var failed = await notion.FailsAsync("NOTION_CREATE_PAGE", new { parent_id = "nope", title = "x" }, "upstream_error", 400);
        Assert.Equal("validation_error", failed.GetProperty("data").GetProperty("code").GetString());
        Assert.False(failed.GetProperty("error").GetProperty("retryable").GetBoolean());
    }
}
