using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class AirtableToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Airtable, new Dictionary<string, string> { ["airtable"] = "/v0" });

/// <summary>
/// Airtable Web API tools (https://airtable.com/developers/web/api/introduction): records at `/v0/{baseId}/{tableIdOrName}`
/// as `{id, createdTime, fields}`, list parameters `fields[]`, `sort[0][field]`, `offset` paging, schema under `/v0/meta`,
/// and errors as `{error: {type, message}}` (https://airtable.com/developers/web/api/errors), notably 403
/// INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND for both a missing grant and a missing base or table.
/// </summary>
public sealed class CuratedAirtableToolsTests(AirtableToolkitFixture airtable) : IClassFixture<AirtableToolkitFixture>
{
    private const string Base = "appAbCdEfGhIjKlMn";
    private const string Record = "recA1b2C3d4E5f6G7";
    private FakeProviderApi Api => airtable.Api;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    private static JsonNode RecordOf(string id, JsonNode? fields) => new JsonObject { ["id"] = id, ["createdTime"] = "2025-06-01T10:00:00.000Z", ["fields"] = fields?.DeepClone() ?? new JsonObject() };

    [Fact]
    public async Task List_records_sends_fields_brackets_sort_as_indexed_objects_and_the_formula_escaped()
    {
        // A table name is one escaped path segment (Engine%20Parts); the stand-in's path may arrive decoded or not.
        FakeProviderApi.Handler page = _ => (200, Json("""
            {"records":[{"id":"recA1b2C3d4E5f6G7","createdTime":"2025-06-01T10:00:00.000Z","fields":{"Name":"Crank","Status":"Done","Score":5}}],"offset":"itrX/recA1b2C3d4E5f6G7"}
            """), null);
        Api.On("GET", $"/v0/{Base}/Engine Parts", page).On("GET", $"/v0/{Base}/Engine%20Parts", page);
        var data = await airtable.SucceedsAsync("AIRTABLE_LIST_RECORDS", new
        {
            base_id = Base,
            table = "Engine Parts",
            fields = new[] { "Name", "Status" },
            filterByFormula = "AND({Status} = 'Done', {Score} > 3)",
            sort = new[] { new { field = "Score", direction = (string?)"desc" }, new { field = "Name", direction = (string?)null } },
            pageSize = 50,
            view = "Grid view",
        });
        Assert.Equal("itrX/recA1b2C3d4E5f6G7", data.GetProperty("offset").GetString());
        Assert.Equal("Crank", data.GetProperty("records")[0].GetProperty("fields").GetProperty("Name").GetString());

        var sent = Api.Requests.Last(r => Uri.UnescapeDataString(r.Path) == $"/v0/{Base}/Engine Parts");
        Assert.StartsWith("Bearer ", sent.Headers["Authorization"]);
        Assert.Equal(["Name", "Status"], sent.QueryValues["fields[]"]);
        Assert.Equal(["AND({Status} = 'Done', {Score} > 3)"], sent.QueryValues["filterByFormula"]);
        Assert.Equal(["Score"], sent.QueryValues["sort[0][field]"]);
        Assert.Equal(["desc"], sent.QueryValues["sort[0][direction]"]);
        Assert.Equal(["Name"], sent.QueryValues["sort[1][field]"]);
        Assert.False(sent.QueryValues.ContainsKey("sort[1][direction]"));
        Assert.Equal(["50"], sent.QueryValues["pageSize"]);
        Assert.Equal(["Grid view"], sent.QueryValues["view"]);
    }

    [Fact]
    public async Task Create_get_update_and_delete_a_record_send_fields_as_json_objects()
    {
        Api.On("POST", $"/v0/{Base}/tblEnginePartsXY", r => (200, RecordOf(Record, r.Json!["fields"]), null));
        Api.On("GET", $"/v0/{Base}/tblEnginePartsXY/{Record}", _ => (200, RecordOf(Record, Json("""{"Name":"Crank","Tags":["iron"]}""")), null));
        Api.On("PATCH", $"/v0/{Base}/tblEnginePartsXY/{Record}", r => (200, RecordOf(Record, r.Json!["fields"]), null));
        Api.On("DELETE", $"/v0/{Base}/tblEnginePartsXY/{Record}", _ => (200, Json($$"""{"id":"{{Record}}","deleted":true}"""), null));

        var created = await airtable.SucceedsAsync("AIRTABLE_CREATE_RECORD", new
        {
            base_id = Base, table = "tblEnginePartsXY", fields = """{"Name":"Crank","Tags":["iron","steel"],"Score":5}""", typecast = true,
        });
        Assert.Equal(Record, created.GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"fields":{"Name":"Crank","Tags":["iron","steel"],"Score":5},"typecast":true}"""),
            airtable.Received("POST", $"/v0/{Base}/tblEnginePartsXY").Json));

        var got = await airtable.SucceedsAsync("AIRTABLE_GET_RECORD", new { base_id = Base, table = "tblEnginePartsXY", record_id = Record });
        Assert.Equal("iron", got.GetProperty("fields").GetProperty("Tags")[0].GetString());

        await airtable.SucceedsAsync("AIRTABLE_UPDATE_RECORD", new { base_id = Base, table = "tblEnginePartsXY", record_id = Record, fields = """{"Status":"Done"}""" });
        Assert.True(JsonNode.DeepEquals(Json("""{"fields":{"Status":"Done"}}"""), airtable.Received("PATCH", $"/v0/{Base}/tblEnginePartsXY/{Record}").Json));

        var deleted = await airtable.SucceedsAsync("AIRTABLE_DELETE_RECORD", new { base_id = Base, table = "tblEnginePartsXY", record_id = Record });
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task Create_records_sends_up_to_ten_records_and_a_record_id_that_is_not_one_never_leaves()
    {
        Api.On("POST", $"/v0/{Base}/Parts", r => (200, new JsonObject
        {
            ["records"] = new JsonArray(r.Json!["records"]!.AsArray().Select((x, i) => RecordOf($"recA1b2C3d4E5f6G{i}", x!["fields"])).ToArray()),
        }, null));
        var data = await airtable.SucceedsAsync("AIRTABLE_CREATE_RECORDS", new
        {
            base_id = Base, table = "Parts", records = """[{"fields":{"Name":"Crank"}},{"fields":{"Name":"Mill"}}]""",
        });
        Assert.Equal(2, data.GetProperty("records").GetArrayLength());
        Assert.True(JsonNode.DeepEquals(Json("""{"records":[{"fields":{"Name":"Crank"}},{"fields":{"Name":"Mill"}}]}"""), airtable.Received("POST", $"/v0/{Base}/Parts").Json));

        var before = Api.Requests.Count;
        var invalid = await JsonAssert.ErrorAsync(await airtable.PostExecuteAsync("AIRTABLE_GET_RECORD", new { base_id = Base, table = "Parts", record_id = "../meta/bases" }),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal("record_id", invalid.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task Bases_schema_and_table_creation_use_the_meta_api()
    {
        Api.On("GET", "/v0/meta/bases", _ => (200, Json($$"""{"bases":[{"id":"{{Base}}","name":"Engines","permissionLevel":"create"}],"offset":"itr2"}"""), null));
        Api.On("GET", $"/v0/meta/bases/{Base}/tables", _ => (200, Json("""
            {"tables":[{"id":"tblEnginePartsXY","name":"Engine Parts","primaryFieldId":"fldName000000001","description":null,
              "fields":[{"id":"fldName000000001","name":"Name","type":"singleLineText"},{"id":"fldStatus0000001","name":"Status","type":"singleSelect","options":{"choices":[{"id":"sel1","name":"Done","color":"greenLight2"}]}}],
              "views":[{"id":"viwGrid000000001","name":"Grid view","type":"grid"}]}]}
            """), null));
        Api.On("POST", $"/v0/meta/bases/{Base}/tables", r => (200, Json($$"""
            {"id":"tblNewTable00001","name":{{r.Json!["name"]!.ToJsonString()}},"primaryFieldId":"fldName000000002","fields":{{r.Json!["fields"]!.ToJsonString()}},"views":[{"id":"viwGrid000000002","name":"Grid view","type":"grid"}]}
            """), null));

        var bases = await airtable.SucceedsAsync("AIRTABLE_LIST_BASES", new { offset = "itr1" });
        Assert.Equal(Base, bases.GetProperty("bases")[0].GetProperty("id").GetString());
        Assert.Equal(["itr1"], airtable.Received("GET", "/v0/meta/bases").QueryValues["offset"]);

        var schema = await airtable.SucceedsAsync("AIRTABLE_GET_BASE_SCHEMA", new { base_id = Base });
        Assert.Equal("singleSelect", schema.GetProperty("tables")[0].GetProperty("fields")[1].GetProperty("type").GetString());

        var table = await airtable.SucceedsAsync("AIRTABLE_CREATE_TABLE", new
        {
            base_id = Base, name = "Suppliers", fields = """[{"name":"Name","type":"singleLineText"},{"name":"Rating","type":"rating","options":{"max":5,"icon":"star","color":"yellowBright"}}]""",
        });
        Assert.Equal("tblNewTable00001", table.GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""
            {"name":"Suppliers","fields":[{"name":"Name","type":"singleLineText"},{"name":"Rating","type":"rating","options":{"max":5,"icon":"star","color":"yellowBright"}}]}
            """), airtable.Received("POST", $"/v0/meta/bases/{Base}/tables").Json));
    }

    [Fact]
    public async Task Record_comments_are_listed_and_created_and_whoami_names_the_granted_scopes()
    {
        var comments = $"/v0/{Base}/Parts/{Record}/comments";
        Api.On("GET", comments, _ => (200, Json("""
            {"comments":[{"id":"comB5z7Mkq1jlKfAA","author":{"id":"usrL2PNC5o3H4lBEi","email":"ada@example.com","name":"Ada"},"text":"Checked.","createdTime":"2025-06-01T10:00:00.000Z","lastUpdatedTime":null}],"offset":null}
            """), null));
        Api.On("POST", comments, r => (200, Json($$"""
            {"id":"comB5z7Mkq1jlKfAB","author":{"id":"usrL2PNC5o3H4lBEi","email":"ada@example.com","name":"Ada"},"text":{{r.Json!["text"]!.ToJsonString()}},"createdTime":"2025-06-01T10:05:00.000Z","lastUpdatedTime":null}
            """), null));
        Api.On("GET", "/v0/meta/whoami", _ => (200, Json("""{"id":"usrL2PNC5o3H4lBEi","email":"ada@example.com","scopes":["data.records:read","user.email:read"]}"""), null));

        var listed = await airtable.SucceedsAsync("AIRTABLE_LIST_COMMENTS", new { base_id = Base, table = "Parts", record_id = Record, pageSize = 10 });
        Assert.Equal("Checked.", listed.GetProperty("comments")[0].GetProperty("text").GetString());
        Assert.Equal(["10"], airtable.Received("GET", comments).QueryValues["pageSize"]);

        var created = await airtable.SucceedsAsync("AIRTABLE_CREATE_COMMENT", new { base_id = Base, table = "Parts", record_id = Record, text = "Ping @[usrL2PNC5o3H4lBEi]" });
        Assert.Equal("comB5z7Mkq1jlKfAB", created.GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"text":"Ping @[usrL2PNC5o3H4lBEi]"}"""), airtable.Received("POST", comments).Json));

        var me = await airtable.SucceedsAsync("AIRTABLE_GET_CURRENT_USER", null);
        Assert.Equal("ada@example.com", me.GetProperty("email").GetString());
    }

    [Fact]
    public async Task Airtables_403_invalid_permissions_or_model_not_found_and_422_unknown_field_are_failed_results()
    {
        Api.On("GET", "/v0/appZzZzZzZzZzZzZz/Parts", _ => (403, Json("""
            {"error":{"type":"INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND","message":"Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct."}}
            """), null));
        var forbidden = await airtable.FailsAsync("AIRTABLE_LIST_RECORDS", new { base_id = "appZzZzZzZzZzZzZz", table = "Parts" }, "insufficient_scope", 403);
        Assert.Equal("INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", forbidden.GetProperty("data").GetProperty("error").GetProperty("type").GetString());

        Api.On("POST", $"/v0/{Base}/Parts", _ => (422, Json("""{"error":{"type":"UNKNOWN_FIELD_NAME","message":"Unknown field name: \"Nmae\""}}"""), null));
        var unknown = await airtable.FailsAsync("AIRTABLE_CREATE_RECORD", new { base_id = Base, table = "Parts", fields = """{"Nmae":"Crank"}""" }, "upstream_error", 422);
        Assert.Equal("UNKNOWN_FIELD_NAME", unknown.GetProperty("data").GetProperty("error").GetProperty("type").GetString());

        var before = Api.Requests.Count;
        var notJson = await JsonAssert.ErrorAsync(await airtable.PostExecuteAsync("AIRTABLE_CREATE_RECORD", new { base_id = Base, table = "Parts", fields = "{Name: Crank" }),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal("fields", notJson.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task A_personal_access_token_connection_sends_the_token_as_bearer()
    {
        var app = await airtable.Portal.CreateAppAsync("PAT app", HostedConnectDriver.ReturnUrl);
        using var admin = airtable.Portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "airtable", authScheme = "bearer" })));
        const string pat = "patAbCdEfGhIjKlMn.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        await airtable.Portal.ConnectHostedAsync(app, "airtable", "bea", new() { ["token"] = pat });

        Api.On("GET", "/v0/meta/whoami", _ => (200, Json("""{"id":"usrBea00000000001","scopes":["data.records:read"]}"""), null));
        var accepts = Api.AcceptsToken;
        Api.AcceptsToken = token => token == pat;
        try
        {
            var result = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute",
                JsonAssert.Body(new { toolName = "AIRTABLE_GET_CURRENT_USER", userId = "bea", @params = new { } })));
            Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        }
        finally { Api.AcceptsToken = accepts; }
        Assert.Equal("Bearer " + pat, airtable.Received("GET", "/v0/meta/whoami").Headers["Authorization"]);
    }
}
