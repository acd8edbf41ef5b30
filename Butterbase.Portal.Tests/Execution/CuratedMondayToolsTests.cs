using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class MondayToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Monday, new Dictionary<string, string> { ["monday"] = "" });

/// <summary>
/// monday.com GraphQL tools (https://developer.monday.com/api-reference/docs/basics): every tool is `POST /v2` with a fixed
/// `{query, variables}` and the `API-Version` header; the JSON scalar (column_values) travels as JSON text; answers are
/// `{data, account_id}` and failures HTTP 200 with `errors: [{message, extensions: {code, status_code}}]`
/// (https://developer.monday.com/api-reference/docs/errors), or `{error_code, error_message}` in older versions.
/// </summary>
public sealed class CuratedMondayToolsTests(MondayToolkitFixture monday) : IClassFixture<MondayToolkitFixture>
{
    private const string Board = "1234567890";
    private const string Item = "9876543210";
    private FakeProviderApi Api => monday.Api;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    /// <summary>The stand-in's /v2: answers <paramref name="data"/> when the query is the tool's document, else a GraphQL parse error.</summary>
    private void Answers(string tool, string data) => Api.On("POST", "/v2", r =>
        r.Json?["query"]?.GetValue<string>() == MondayGraphQL.Documents[tool]
            ? (200, Json($$$"""{"data":{{{data}}},"account_id":4217712}"""), null)
            : (200, Json("""{"errors":[{"message":"Unexpected query","extensions":{"code":"GRAPHQL_PARSE_FAILED"}}],"account_id":4217712}"""), null));

    private JsonNode Variables() => monday.Received("POST", "/v2").Json!["variables"]!;

    [Fact]
    public async Task Me_workspaces_and_boards_post_their_query_with_the_api_version_and_answer_the_data()
    {
        Answers("MONDAY_GET_ME", """{"me":{"id":"55120313","name":"Ada Lovelace","email":"ada@example.com","is_admin":true,"account":{"id":"4217712","name":"Engines","slug":"engines","tier":"pro"}}}""");
        var me = await monday.SucceedsAsync("MONDAY_GET_ME", null);
        Assert.Equal("engines", me.GetProperty("me").GetProperty("account").GetProperty("slug").GetString());
        var sent = monday.Received("POST", "/v2");
        Assert.StartsWith("Bearer eyJ", sent.Headers["Authorization"]);
        Assert.Equal("2026-07", sent.Headers["API-Version"]);
        Assert.StartsWith("application/json", sent.Headers["Content-Type"]);
        Assert.True(JsonNode.DeepEquals(new JsonObject(), Variables()));

        Answers("MONDAY_LIST_WORKSPACES", """{"workspaces":[{"id":"3712","name":"Main workspace","kind":"open","description":null}]}""");
        var workspaces = await monday.SucceedsAsync("MONDAY_LIST_WORKSPACES", new { limit = 10 });
        Assert.Equal("3712", workspaces.GetProperty("workspaces")[0].GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"limit":10}"""), Variables()));

        Answers("MONDAY_LIST_BOARDS", $$"""{"boards":[{"id":"{{Board}}","name":"Roadmap","state":"active","board_kind":"public","workspace_id":"3712","items_count":4}]}""");
        var boards = await monday.SucceedsAsync("MONDAY_LIST_BOARDS", new { workspace_ids = new[] { "3712" }, state = "active", limit = 50, page = 2 });
        Assert.Equal("Roadmap", boards.GetProperty("boards")[0].GetProperty("name").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"workspace_ids":["3712"],"state":"active","limit":50,"page":2}"""), Variables()));
    }

    [Fact]
    public async Task A_board_its_items_page_and_items_by_id_are_read_with_cursor_variables()
    {
        Answers("MONDAY_GET_BOARD", $$$"""
            {"boards":[{"id":"{{{Board}}}","name":"Roadmap","columns":[{"id":"name","title":"Name","type":"name","settings_str":"{}"},{"id":"status","title":"Status","type":"status","settings_str":"{\"labels\":{\"1\":\"Done\"}}"}],
              "groups":[{"id":"topics","title":"This week","color":"#579bfc","position":"65536"}],"owners":[{"id":"55120313","name":"Ada Lovelace"}]}]}
            """);
        var board = await monday.SucceedsAsync("MONDAY_GET_BOARD", new { board_id = Board });
        Assert.Equal("status", board.GetProperty("boards")[0].GetProperty("columns")[1].GetProperty("type").GetString());
        Assert.True(JsonNode.DeepEquals(Json($$"""{"board_id":"{{Board}}"}"""), Variables()));

        Answers("MONDAY_LIST_ITEMS", $$$"""
            {"boards":[{"items_page":{"cursor":"MSw5NzI4MDA5MDAsaV9YcmxJb0p1VEdYc1VWeGlxeF9kLDg4MiwzNXw0MTQ1NzU1MTE5","items":[{"id":"{{{Item}}}","name":"Ship crank","state":"active",
              "group":{"id":"topics","title":"This week"},"column_values":[{"id":"status","type":"status","text":"Done","value":"{\"index\":1}"}]}]}}]}
            """);
        var items = await monday.SucceedsAsync("MONDAY_LIST_ITEMS", new { board_id = Board, limit = 50, cursor = "MSw5NzI4" });
        Assert.Equal("Done", items.GetProperty("boards")[0].GetProperty("items_page").GetProperty("items")[0].GetProperty("column_values")[0].GetProperty("text").GetString());
        Assert.True(JsonNode.DeepEquals(Json($$"""{"board_id":"{{Board}}","limit":50,"cursor":"MSw5NzI4"}"""), Variables()));

        Answers("MONDAY_GET_ITEMS", $$"""{"items":[{"id":"{{Item}}","name":"Ship crank","board":{"id":"{{Board}}","name":"Roadmap"},"column_values":[]}]}""");
        var byId = await monday.SucceedsAsync("MONDAY_GET_ITEMS", new { item_ids = new[] { Item } });
        Assert.Equal(Board, byId.GetProperty("items")[0].GetProperty("board").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Item_mutations_send_column_values_as_json_text_and_leave_out_variables_not_given()
    {
        Answers("MONDAY_CREATE_ITEM", $$$"""{"create_item":{"id":"{{{Item}}}","name":"Ship crank"}}""");
        const string columns = """{"status":{"label":"Working on it"},"date4":{"date":"2025-06-01"}}""";
        var created = await monday.SucceedsAsync("MONDAY_CREATE_ITEM", new { board_id = Board, item_name = "Ship crank", group_id = "topics", column_values = columns });
        Assert.Equal(Item, created.GetProperty("create_item").GetProperty("id").GetString());
        var variables = Variables();
        Assert.Equal(columns, variables["column_values"]!.GetValue<string>()); // monday's JSON scalar is JSON text
        Assert.False(variables.AsObject().ContainsKey("create_labels_if_missing"));

        Answers("MONDAY_CHANGE_COLUMN_VALUES", $$$"""{"change_multiple_column_values":{"id":"{{{Item}}}","name":"Ship crank","column_values":[{"id":"status","text":"Done"}]}}""");
        await monday.SucceedsAsync("MONDAY_CHANGE_COLUMN_VALUES", new { board_id = Board, item_id = Item, column_values = """{"status":{"label":"Done"}}""", create_labels_if_missing = true });
        Assert.True(JsonNode.DeepEquals(Json($$$"""{"board_id":"{{{Board}}}","item_id":"{{{Item}}}","column_values":"{\"status\":{\"label\":\"Done\"}}","create_labels_if_missing":true}"""), Variables()));

        Answers("MONDAY_MOVE_ITEM_TO_GROUP", $$$"""{"move_item_to_group":{"id":"{{{Item}}}"}}""");
        await monday.SucceedsAsync("MONDAY_MOVE_ITEM_TO_GROUP", new { item_id = Item, group_id = "new_group" });
        Assert.True(JsonNode.DeepEquals(Json($$"""{"item_id":"{{Item}}","group_id":"new_group"}"""), Variables()));

        Answers("MONDAY_CREATE_UPDATE", """{"create_update":{"id":"3325555116","body":"<p>Shipped</p>","created_at":"2025-06-01T10:00:00Z","creator_id":"55120313"}}""");
        var update = await monday.SucceedsAsync("MONDAY_CREATE_UPDATE", new { item_id = Item, body = "<p>Shipped</p>" });
        Assert.Equal("3325555116", update.GetProperty("create_update").GetProperty("id").GetString());

        Answers("MONDAY_DELETE_ITEM", $$$"""{"delete_item":{"id":"{{{Item}}}"}}""");
        await monday.SucceedsAsync("MONDAY_DELETE_ITEM", new { item_id = Item });
        Assert.True(JsonNode.DeepEquals(Json($$"""{"item_id":"{{Item}}"}"""), Variables()));

        var before = Api.Requests.Count;
        var invalid = await JsonAssert.ErrorAsync(await monday.PostExecuteAsync("MONDAY_CHANGE_COLUMN_VALUES", new { board_id = Board, item_id = Item, column_values = "status=Done" }),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal("column_values", invalid.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task Boards_groups_and_users_are_created_and_listed()
    {
        Answers("MONDAY_CREATE_BOARD", """{"create_board":{"id":"1234567891","name":"Launch"}}""");
        var board = await monday.SucceedsAsync("MONDAY_CREATE_BOARD", new { board_name = "Launch", board_kind = "private", workspace_id = "3712" });
        Assert.Equal("1234567891", board.GetProperty("create_board").GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"board_name":"Launch","board_kind":"private","workspace_id":"3712"}"""), Variables()));

        Answers("MONDAY_CREATE_GROUP", """{"create_group":{"id":"new_group29179","title":"Backlog"}}""");
        var group = await monday.SucceedsAsync("MONDAY_CREATE_GROUP", new { board_id = Board, group_name = "Backlog" });
        Assert.Equal("new_group29179", group.GetProperty("create_group").GetProperty("id").GetString());

        Answers("MONDAY_LIST_USERS", """{"users":[{"id":"55120313","name":"Ada Lovelace","email":"ada@example.com","enabled":true,"is_admin":true,"is_guest":false,"title":null}]}""");
        var users = await monday.SucceedsAsync("MONDAY_LIST_USERS", new { emails = new[] { "ada@example.com" } });
        Assert.True(users.GetProperty("users")[0].GetProperty("is_admin").GetBoolean());
        Assert.True(JsonNode.DeepEquals(Json("""{"emails":["ada@example.com"]}"""), Variables()));
    }

    [Fact]
    public async Task Graphql_errors_in_a_200_answer_are_failed_results_never_successes()
    {
        Api.On("POST", "/v2", _ => (200, Json("""
            {"errors":[{"message":"The board does not exist. Please check your board ID and try again","locations":[{"line":1,"column":30}],"path":["boards"],
              "extensions":{"code":"InvalidBoardIdException","status_code":200,"error_data":{"board_id":1}}}],"data":{"boards":null},"account_id":4217712}
            """), null));
        var missing = await monday.FailsAsync("MONDAY_GET_BOARD", new { board_id = "1" }, "upstream_error", 200);
        Assert.Contains("board does not exist", missing.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("InvalidBoardIdException", missing.GetProperty("data").GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());

        Api.On("POST", "/v2", _ => (200, Json("""
            {"errors":[{"message":"Complexity budget exhausted, query cost 30001 budget remaining 1 out of 10000000 reset in 12 seconds","extensions":{"code":"ComplexityException","status_code":429,"retry_in_seconds":12}}],"account_id":4217712}
            """), null));
        var limited = await monday.FailsAsync("MONDAY_LIST_BOARDS", new { limit = 500 }, "rate_limited", 200);
        Assert.True(limited.GetProperty("error").GetProperty("retryable").GetBoolean());

        Api.On("POST", "/v2", _ => (200, Json("""{"errors":[{"message":"Permission Denied! Your token doesn't grant access to boards:write","extensions":{"code":"UserUnauthorizedException","status_code":403}}],"account_id":4217712}"""), null));
        await monday.FailsAsync("MONDAY_DELETE_ITEM", new { item_id = Item }, "insufficient_scope", 200);

        Api.On("POST", "/v2", _ => (200, Json("""{"error_code":"InvalidColumnIdException","error_message":"This column ID doesn't exist for the board","status_code":200,"error_data":{"column_id":"stauts"}}"""), null));
        var legacy = await monday.FailsAsync("MONDAY_CHANGE_COLUMN_VALUES", new { board_id = Board, item_id = Item, column_values = """{"stauts":"Done"}""" }, "upstream_error", 200);
        Assert.Contains("column ID doesn't exist", legacy.GetProperty("error").GetProperty("message").GetString());

        // Not a GraphQL object at all (a proxy's HTML page), or errors that are not objects: failed results, not a 500.
        Api.On("POST", "/v2", _ => (200, new FakeProviderApi.RawBody("<html>Bad gateway</html>"u8.ToArray(), "text/html"), null));
        await monday.FailsAsync("MONDAY_LIST_BOARDS", new { limit = 5 }, "upstream_error", 200);
        Api.On("POST", "/v2", _ => (200, Json("""{"errors":["x"],"account_id":4217712}"""), null));
        await monday.FailsAsync("MONDAY_LIST_BOARDS", new { limit = 5 }, "upstream_error", 200);
    }

    [Fact]
    public async Task A_personal_api_token_connection_sends_the_token_as_the_whole_authorization_header()
    {
        var app = await monday.Portal.CreateAppAsync("Token app", HostedConnectDriver.ReturnUrl);
        using var admin = monday.Portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "monday", authScheme = "api_key" })));
        const string token = "eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOjMxMjA0NzU1OSwiYWFpIjoxMSwidWlkIjo1NTEyMDMxM30.c2lnbmF0dXJl";
        await monday.Portal.ConnectHostedAsync(app, "monday", "bea", new() { ["api_key"] = token });

        Answers("MONDAY_GET_ME", """{"me":{"id":"55120314","name":"Bea","email":"bea@example.com"}}""");
        var accepts = Api.AcceptsToken;
        Api.AcceptsToken = null; // monday's API tokens are not bearer tokens of the stand-in's OAuth server
        try
        {
            var result = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute",
                JsonAssert.Body(new { toolName = "MONDAY_GET_ME", userId = "bea", @params = new { } })));
            Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        }
        finally { Api.AcceptsToken = accepts; }
        Assert.Equal(token, monday.Received("POST", "/v2").Headers["Authorization"]);
    }
}
