using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class PipedriveToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Pipedrive, new Dictionary<string, string> { ["pipedrive"] = "/api" });

/// <summary>
/// Pipedrive API v2 tools (https://developers.pipedrive.com/docs/api/v1 and /v2): `{success, data, additional_data:
/// {next_cursor}}` envelopes, cursor paging, comma-separated list filters, custom fields keyed by 40-character hashes, notes
/// still on v1, and errors as `{success: false, error, error_info}`; an API token goes in the `x-api-token` header
/// (https://pipedrive.readme.io/docs/core-api-concepts-authentication).
/// </summary>
public sealed class CuratedPipedriveToolsTests(PipedriveToolkitFixture pipedrive) : IClassFixture<PipedriveToolkitFixture>
{
    private const string Hash = "d4de1c1518b4531717c676029a45911c340390a6";
    private FakeProviderApi Api => pipedrive.Api;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    private static JsonNode Ok(JsonNode? data, string? next = null) => new JsonObject { ["success"] = true, ["data"] = data, ["additional_data"] = new JsonObject { ["next_cursor"] = next } };

    private static JsonNode Deal(long id, string title) => Json($$$"""
        {"id":{{{id}}},"title":"{{{title}}}","value":1500.5,"currency":"EUR","owner_id":9,"person_id":101,"org_id":201,"pipeline_id":1,"stage_id":2,"status":"open",
         "expected_close_date":"2025-07-01","add_time":"2025-06-01T10:00:00Z","update_time":"2025-06-01T10:00:00Z","custom_fields":{"{{{Hash}}}":"Gold"}}
        """);

    [Fact]
    public async Task Deals_are_listed_with_comma_joined_statuses_and_a_cursor_and_read_by_id()
    {
        Api.On("GET", "/api/v2/deals", _ => (200, Ok(new JsonArray(Deal(1, "Engines renewal"), Deal(2, "Mill upgrade")), "eyJmaWVsZCI6ImlkIiwiZmllbGRWYWx1ZSI6Mn0"), null));
        Api.On("GET", "/api/v2/deals/1", _ => (200, Ok(Deal(1, "Engines renewal")), null));

        var deals = await pipedrive.SucceedsAsync("PIPEDRIVE_LIST_DEALS", new { status = new[] { "open", "won" }, stage_id = 2, sort_by = "update_time", sort_direction = "desc", limit = 2, cursor = "abc" });
        Assert.Equal(2, deals.GetProperty("data").GetArrayLength());
        Assert.Equal("eyJmaWVsZCI6ImlkIiwiZmllbGRWYWx1ZSI6Mn0", deals.GetProperty("additional_data").GetProperty("next_cursor").GetString());
        var sent = pipedrive.Received("GET", "/api/v2/deals");
        Assert.StartsWith("Bearer v1:", sent.Headers["Authorization"]);
        Assert.Equal(["open,won"], sent.QueryValues["status"]);
        Assert.Equal(["2"], sent.QueryValues["stage_id"]);
        Assert.Equal(["desc"], sent.QueryValues["sort_direction"]);
        Assert.Equal(["abc"], sent.QueryValues["cursor"]);

        var deal = await pipedrive.SucceedsAsync("PIPEDRIVE_GET_DEAL", new { id = 1 });
        Assert.Equal("Gold", deal.GetProperty("data").GetProperty("custom_fields").GetProperty(Hash).GetString());
    }

    [Fact]
    public async Task Create_update_and_delete_a_deal_send_custom_fields_as_an_object()
    {
        Api.On("POST", "/api/v2/deals", _ => (201, Ok(Deal(7, "Engines renewal")), null));
        Api.On("PATCH", "/api/v2/deals/7", _ => (200, Ok(Deal(7, "Engines renewal")), null));
        Api.On("DELETE", "/api/v2/deals/7", _ => (200, Json("""{"success":true,"data":{"id":7}}"""), null));

        var created = await pipedrive.SucceedsAsync("PIPEDRIVE_CREATE_DEAL", new
        {
            title = "Engines renewal", value = 1500.5, currency = "EUR", person_id = 101, org_id = 201, stage_id = 2, expected_close_date = "2025-07-01",
            custom_fields = $$"""{"{{Hash}}":"Gold"}""",
        });
        Assert.Equal(7, created.GetProperty("data").GetProperty("id").GetInt64());
        Assert.True(JsonNode.DeepEquals(Json($$$"""
            {"title":"Engines renewal","value":1500.5,"currency":"EUR","person_id":101,"org_id":201,"stage_id":2,"expected_close_date":"2025-07-01","custom_fields":{"{{{Hash}}}":"Gold"}}
            """), pipedrive.Received("POST", "/api/v2/deals").Json));

        await pipedrive.SucceedsAsync("PIPEDRIVE_UPDATE_DEAL", new { id = 7, status = "lost", lost_reason = "Budget" });
        Assert.True(JsonNode.DeepEquals(Json("""{"status":"lost","lost_reason":"Budget"}"""), pipedrive.Received("PATCH", "/api/v2/deals/7").Json));

        var deleted = await pipedrive.SucceedsAsync("PIPEDRIVE_DELETE_DEAL", new { id = 7 });
        Assert.Equal(7, deleted.GetProperty("data").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Deal_and_person_search_send_the_term_and_comma_joined_fields()
    {
        Api.On("GET", "/api/v2/deals/search", _ => (200, Json("""
            {"success":true,"data":{"items":[{"result_score":1.22,"item":{"id":1,"type":"deal","title":"Engines renewal","value":1500.5,"currency":"EUR","status":"open",
              "owner":{"id":9},"stage":{"id":2,"name":"Qualified"},"person":{"id":101,"name":"Ada Lovelace"},"organization":{"id":201,"name":"Analytical Engines"}}}]},
             "additional_data":{"next_cursor":null}}
            """), null));
        Api.On("GET", "/api/v2/persons/search", _ => (200, Json("""
            {"success":true,"data":{"items":[{"result_score":0.9,"item":{"id":101,"type":"person","name":"Ada Lovelace","emails":["ada@example.com"],"phones":[],"organization":{"id":201,"name":"Analytical Engines"}}}]},
             "additional_data":{"next_cursor":null}}
            """), null));

        var deals = await pipedrive.SucceedsAsync("PIPEDRIVE_SEARCH_DEALS", new { term = "engines", fields = new[] { "title", "notes" }, status = "open", limit = 10 });
        Assert.Equal("Qualified", deals.GetProperty("data").GetProperty("items")[0].GetProperty("item").GetProperty("stage").GetProperty("name").GetString());
        var sent = pipedrive.Received("GET", "/api/v2/deals/search");
        Assert.Equal(["engines"], sent.QueryValues["term"]);
        Assert.Equal(["title,notes"], sent.QueryValues["fields"]);

        var people = await pipedrive.SucceedsAsync("PIPEDRIVE_SEARCH_PERSONS", new { term = "ada@example.com", fields = new[] { "email" }, exact_match = true });
        Assert.Equal(101, people.GetProperty("data").GetProperty("items")[0].GetProperty("item").GetProperty("id").GetInt64());
        var sentPeople = pipedrive.Received("GET", "/api/v2/persons/search");
        Assert.Equal(["ada@example.com"], sentPeople.QueryValues["term"]);
        Assert.Equal(["true"], sentPeople.QueryValues["exact_match"]);
    }

    [Fact]
    public async Task Persons_and_organizations_are_created_with_their_lists_and_persons_listed_by_organization()
    {
        Api.On("POST", "/api/v2/persons", _ => (201, Json("""
            {"success":true,"data":{"id":101,"name":"Ada Lovelace","owner_id":9,"org_id":201,"emails":[{"value":"ada@example.com","primary":true,"label":"work"}],"phones":[]}}
            """), null));
        Api.On("GET", "/api/v2/persons", _ => (200, Ok(Json("""[{"id":101,"name":"Ada Lovelace","org_id":201}]""")), null));
        Api.On("POST", "/api/v2/organizations", _ => (201, Json("""{"success":true,"data":{"id":201,"name":"Analytical Engines","owner_id":9,"address":{"value":"12 St James's Square, London"}}}"""), null));

        var person = await pipedrive.SucceedsAsync("PIPEDRIVE_CREATE_PERSON", new
        {
            name = "Ada Lovelace", org_id = 201, emails = new[] { new { value = "ada@example.com", primary = (bool?)true, label = "work" } },
        });
        Assert.Equal(101, person.GetProperty("data").GetProperty("id").GetInt64());
        Assert.True(JsonNode.DeepEquals(Json("""{"name":"Ada Lovelace","org_id":201,"emails":[{"value":"ada@example.com","primary":true,"label":"work"}]}"""),
            pipedrive.Received("POST", "/api/v2/persons").Json));

        var people = await pipedrive.SucceedsAsync("PIPEDRIVE_LIST_PERSONS", new { org_id = 201, limit = 100 });
        Assert.Equal("Ada Lovelace", people.GetProperty("data")[0].GetProperty("name").GetString());
        Assert.Equal(["201"], pipedrive.Received("GET", "/api/v2/persons").QueryValues["org_id"]);

        var org = await pipedrive.SucceedsAsync("PIPEDRIVE_CREATE_ORGANIZATION", new { name = "Analytical Engines", address = new { value = "12 St James's Square, London" } });
        Assert.Equal(201, org.GetProperty("data").GetProperty("id").GetInt64());
        Assert.True(JsonNode.DeepEquals(Json("""{"name":"Analytical Engines","address":{"value":"12 St James's Square, London"}}"""), pipedrive.Received("POST", "/api/v2/organizations").Json));
    }

    [Fact]
    public async Task Activities_go_to_v2_notes_to_v1_and_pipelines_and_stages_are_listed()
    {
        Api.On("POST", "/api/v2/activities", _ => (201, Json("""{"success":true,"data":{"id":501,"subject":"Call Ada","type":"call","due_date":"2025-06-03","due_time":"10:00","done":false,"deal_id":1}}"""), null));
        Api.On("POST", "/api/v1/notes", _ => (201, Json("""{"success":true,"data":{"id":601,"content":"<b>Budget</b> approved","deal_id":1,"add_time":"2025-06-01 10:00:00"}}"""), null));
        Api.On("GET", "/api/v2/pipelines", _ => (200, Ok(Json("""[{"id":1,"name":"Sales","order_nr":1,"is_deleted":false,"is_deal_probability_enabled":true}]""")), null));
        Api.On("GET", "/api/v2/stages", _ => (200, Ok(Json("""[{"id":2,"name":"Qualified","pipeline_id":1,"order_nr":1,"deal_probability":100}]""")), null));

        var activity = await pipedrive.SucceedsAsync("PIPEDRIVE_CREATE_ACTIVITY", new
        {
            subject = "Call Ada", type = "call", deal_id = 1, due_date = "2025-06-03", due_time = "10:00", duration = "00:30",
            participants = new[] { new { person_id = 101, primary = true } },
        });
        Assert.Equal(501, activity.GetProperty("data").GetProperty("id").GetInt64());
        Assert.True(JsonNode.DeepEquals(Json("""
            {"subject":"Call Ada","type":"call","deal_id":1,"due_date":"2025-06-03","due_time":"10:00","duration":"00:30","participants":[{"person_id":101,"primary":true}]}
            """), pipedrive.Received("POST", "/api/v2/activities").Json));

        var note = await pipedrive.SucceedsAsync("PIPEDRIVE_ADD_NOTE", new { content = "<b>Budget</b> approved", deal_id = 1 });
        Assert.Equal(601, note.GetProperty("data").GetProperty("id").GetInt64());
        Assert.True(JsonNode.DeepEquals(Json("""{"content":"<b>Budget</b> approved","deal_id":1}"""), pipedrive.Received("POST", "/api/v1/notes").Json));

        var pipelines = await pipedrive.SucceedsAsync("PIPEDRIVE_LIST_PIPELINES", null);
        Assert.Equal("Sales", pipelines.GetProperty("data")[0].GetProperty("name").GetString());
        var stages = await pipedrive.SucceedsAsync("PIPEDRIVE_LIST_STAGES", new { pipeline_id = 1 });
        Assert.Equal(100, stages.GetProperty("data")[0].GetProperty("deal_probability").GetInt32());
        Assert.Equal(["1"], pipedrive.Received("GET", "/api/v2/stages").QueryValues["pipeline_id"]);
    }

    [Fact]
    public async Task Pipedrives_success_false_errors_are_failed_results_with_its_message()
    {
        Api.On("GET", "/api/v2/deals/404", _ => (404, Json("""
            {"success":false,"error":"Deal not found","error_info":"Please check developers.pipedrive.com for more information about Pipedrive API.","data":null,"additional_data":null}
            """), null));
        var missing = await pipedrive.FailsAsync("PIPEDRIVE_GET_DEAL", new { id = 404 }, "upstream_error", 404);
        Assert.Equal("Deal not found", missing.GetProperty("data").GetProperty("error").GetString());
        Assert.False(missing.GetProperty("data").GetProperty("success").GetBoolean());

        Api.On("POST", "/api/v2/deals", _ => (400, Json("""
            {"success":false,"error":"Validation failed: stage_id: Stage with id 99 does not exist","code":"ERR_SCHEMA_VALIDATION_FAILED","error_info":"Please check developers.pipedrive.com for more information about Pipedrive API.","data":null,"additional_data":null}
            """), null));
        var invalid = await pipedrive.FailsAsync("PIPEDRIVE_CREATE_DEAL", new { title = "X", stage_id = 99 }, "upstream_error", 400);
        Assert.Equal("ERR_SCHEMA_VALIDATION_FAILED", invalid.GetProperty("data").GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_api_token_connection_sends_the_x_api_token_header_and_no_authorization()
    {
        var app = await pipedrive.Portal.CreateAppAsync("Token app", HostedConnectDriver.ReturnUrl);
        using var admin = pipedrive.Portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "pipedrive", authScheme = "api_key" })));
        const string token = "659c9fddb16335e48cc67114694b52074e812e03";
        var connectionId = await pipedrive.Portal.ConnectHostedAsync(app, "pipedrive", "bea", new() { ["api_key"] = token, ["field.company_domain"] = "acme" });
        Assert.Equal("acme", (await pipedrive.Portal.StoredCredentialsAsync(app.Id, connectionId)).Fields!["company_domain"]);

        Api.On("GET", "/api/v2/pipelines", _ => (200, Ok(new JsonArray()), null));
        var accepts = Api.AcceptsToken;
        Api.AcceptsToken = null; // the stand-in's OAuth check knows only bearer tokens
        try
        {
            var result = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute",
                JsonAssert.Body(new { toolName = "PIPEDRIVE_LIST_PIPELINES", userId = "bea", @params = new { } })));
            Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        }
        finally { Api.AcceptsToken = accepts; }
        var sent = pipedrive.Received("GET", "/api/v2/pipelines");
        Assert.Equal(token, sent.Headers["x-api-token"]);
        Assert.False(sent.Headers.ContainsKey("Authorization"));
        Assert.Equal("", sent.Query);
    }
}
