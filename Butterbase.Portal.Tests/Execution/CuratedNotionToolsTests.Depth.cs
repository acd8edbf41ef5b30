using System.Text.Json.Nodes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>The Notion tools beyond the first four (issue 14 "curated depth"), against the stand-in on Notion's paths.</summary>
public sealed partial class CuratedNotionToolsTests
{
    private const string DatabaseId = "d9824bdc-8445-4327-be8b-5b47500af6ce";

    private static JsonNode NotionError(int status, string code, string message) =>
        new JsonObject { ["object"] = "error", ["status"] = status, ["code"] = code, ["message"] = message, ["request_id"] = "5f0c1e2a-0000-4000-8000-000000000000" };

    [Fact]
    public async Task Get_page_and_database_send_the_version_header_and_an_unshared_one_is_notions_404()
    {
        Api.On("GET", $"/v1/pages/{PageId}", _ => (200, Json("""{"object":"page","id":"PAGE_ID","url":"https://www.notion.so/Plan","properties":{"Status":{"id":"a1","type":"select","select":{"name":"Todo"}}}}""".Replace("PAGE_ID", PageId).Replace("DB_ID", DatabaseId)), null));
        Api.On("GET", $"/v1/databases/{DatabaseId}", _ => (200, Json("""{"object":"database","id":"DB_ID","title":[{"plain_text":"Tasks"}],"properties":{"Name":{"id":"title","type":"title","title":{}}}}""".Replace("PAGE_ID", PageId).Replace("DB_ID", DatabaseId)), null));
        Api.On("GET", "/v1/pages/unshared", _ => (404, NotionError(404, "object_not_found", "Could not find page with ID: unshared. Make sure the relevant pages and databases are shared with your integration."), null));

        var page = await Kit.SucceedsAsync("NOTION_GET_PAGE", new { page_id = PageId });
        Assert.Equal("Todo", page.GetProperty("properties").GetProperty("Status").GetProperty("select").GetProperty("name").GetString());
        var sent = Kit.Received("GET", $"/v1/pages/{PageId}");
        Assert.Equal("2022-06-28", sent.Headers["Notion-Version"]);
        Assert.StartsWith("Bearer ntn_", sent.Headers["Authorization"]);

        var db = await Kit.SucceedsAsync("NOTION_GET_DATABASE", new { database_id = DatabaseId });
        Assert.Equal("title", db.GetProperty("properties").GetProperty("Name").GetProperty("type").GetString());

        var missing = await Kit.FailsAsync("NOTION_GET_PAGE", new { page_id = "unshared" }, "upstream_error", 404);
        Assert.Equal("object_not_found", missing.GetProperty("data").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Create_and_update_database_send_title_and_property_schema_as_json_with_a_removed_column_as_null()
    {
        Api.On("POST", "/v1/databases", r => (200, Json("""{"object":"database","id":"DB_ID","url":"https://www.notion.so/Tasks"}""".Replace("PAGE_ID", PageId).Replace("DB_ID", DatabaseId)), null));
        Api.On("PATCH", $"/v1/databases/{DatabaseId}", _ => (200, Json("""{"object":"database","id":"DB_ID","properties":{"Priority":{"type":"select"}}}""".Replace("PAGE_ID", PageId).Replace("DB_ID", DatabaseId)), null));

        await Kit.SucceedsAsync("NOTION_CREATE_DATABASE", new
        {
            parent = new { page_id = PageId },
            title = """[{"type":"text","text":{"content":"Tasks"}}]""",
            properties = """{"Name":{"title":{}},"Status":{"select":{"options":[{"name":"Todo"},{"name":"Done"}]}}}""",
        });
        Assert.True(JsonNode.DeepEquals(Json("""
            {"parent":{"page_id":"PAGE_ID"},"title":[{"type":"text","text":{"content":"Tasks"}}],"properties":{"Name":{"title":{}},"Status":{"select":{"options":[{"name":"Todo"},{"name":"Done"}]}}}}
            """.Replace("PAGE_ID", PageId).Replace("DB_ID", DatabaseId)), Kit.Received("POST", "/v1/databases").Json), Kit.Received("POST", "/v1/databases").Body);

        await Kit.SucceedsAsync("NOTION_UPDATE_DATABASE", new { database_id = DatabaseId, properties = """{"Priority":{"select":{"options":[{"name":"High"}]}},"Old column":null}""" });
        var patch = Kit.Received("PATCH", $"/v1/databases/{DatabaseId}");
        // Notion removes a column set to null (https://developers.notion.com/reference/update-property-schema-object): a null
        // the caller wrote inside a JSON parameter is sent, not dropped like an optional parameter left out.
        Assert.True(JsonNode.DeepEquals(Json("""{"properties":{"Priority":{"select":{"options":[{"name":"High"}]}},"Old column":null}}"""), patch.Json), patch.Body);
    }

    [Fact]
    public async Task Append_blocks_turns_text_into_blocks_after_a_child_and_reading_children_pages_with_a_cursor()
    {
        Api.On("PATCH", $"/v1/blocks/{PageId}/children", _ => (200, Json("""{"object":"list","results":[{"object":"block","id":"b1","type":"heading_2","has_children":false}],"next_cursor":null,"has_more":false}"""), null));
        Api.On("GET", $"/v1/blocks/{PageId}/children", _ => (200, Json("""{"object":"list","results":[{"object":"block","id":"b1","type":"heading_2","has_children":false}],"next_cursor":"b2","has_more":true}"""), null));

        var appended = await Kit.SucceedsAsync("NOTION_APPEND_BLOCKS", new { block_id = PageId, content = "## Notes\n[ ] Call Ada\n[x] Ship beta\nDone for today.", after = "b0" });
        Assert.Equal("b1", appended.GetProperty("results")[0].GetProperty("id").GetString());
        var todo = (JsonObject)Paragraph("to_do", "Call Ada");
        todo["to_do"]!["checked"] = false;
        var done = (JsonObject)Paragraph("to_do", "Ship beta");
        done["to_do"]!["checked"] = true;
        var expected = new JsonObject
        {
            ["children"] = new JsonArray(Paragraph("heading_2", "Notes"), todo, done, Paragraph("paragraph", "Done for today.")),
            ["after"] = "b0",
        };
        var sent = Kit.Received("PATCH", $"/v1/blocks/{PageId}/children");
        Assert.True(JsonNode.DeepEquals(expected, sent.Json), sent.Body);

        var children = await Kit.SucceedsAsync("NOTION_GET_BLOCK_CHILDREN", new { block_id = PageId, start_cursor = "b1", page_size = 50 });
        Assert.Equal("b2", children.GetProperty("next_cursor").GetString());
        var query = Kit.Received("GET", $"/v1/blocks/{PageId}/children").QueryValues;
        Assert.Equal(["b1"], query["start_cursor"]);
        Assert.Equal(["50"], query["page_size"]);
    }

    [Fact]
    public async Task Delete_block_and_list_users()
    {
        Api.On("DELETE", "/v1/blocks/b1", _ => (200, Json("""{"object":"block","id":"b1","archived":true,"in_trash":true}"""), null));
        Api.On("GET", "/v1/users", _ => (200, Json("""{"object":"list","results":[{"object":"user","id":"u1","type":"person","name":"Ada","person":{"email":"ada@example.com"}}],"next_cursor":null,"has_more":false}"""), null));

        var deleted = await Kit.SucceedsAsync("NOTION_DELETE_BLOCK", new { block_id = "b1" });
        Assert.True(deleted.GetProperty("in_trash").GetBoolean());
        Assert.Equal("", Kit.Received("DELETE", "/v1/blocks/b1").Body);

        var users = await Kit.SucceedsAsync("NOTION_LIST_USERS", new { page_size = 10 });
        Assert.Equal("ada@example.com", users.GetProperty("results")[0].GetProperty("person").GetProperty("email").GetString());
        Assert.Equal(["10"], Kit.Received("GET", "/v1/users").QueryValues["page_size"]);
    }
}
