using System.Text;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class ZendeskToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Zendesk, new Dictionary<string, string> { ["zendesk"] = "/api/v2" });

/// <summary>
/// Zendesk Support API v2 tools (https://developer.zendesk.com/api-reference/ticketing/introduction/): resources under
/// `/api/v2/…json` wrapped in their singular name (`{ticket: {...}}`), cursor pagination as `page[size]`/`page[after]`
/// with `meta.after_cursor`, and errors as `{error: "RecordNotFound" | "RecordInvalid", description, details}`.
/// </summary>
public sealed class CuratedZendeskToolsTests(ZendeskToolkitFixture zendesk) : IClassFixture<ZendeskToolkitFixture>
{
    private FakeProviderApi Api => zendesk.Api;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    private static JsonNode Ticket(long id, string subject, string status = "new") => Json($$"""
        {"id":{{id}},"url":"https://acme.zendesk.com/api/v2/tickets/{{id}}.json","subject":"{{subject}}","description":"The engine stalls","status":"{{status}}",
         "priority":"high","type":"incident","requester_id":20978392,"assignee_id":null,"organization_id":null,"group_id":null,"tags":["engine"],
         "created_at":"2025-06-01T10:00:00Z","updated_at":"2025-06-01T10:00:00Z"}
        """);

    [Fact]
    public async Task Create_ticket_wraps_the_ticket_with_its_first_comment_and_requester_and_sends_the_oauth_token()
    {
        Api.On("POST", "/api/v2/tickets.json", _ => (201, new JsonObject { ["ticket"] = Ticket(35436, "Engine stalls"), ["audit"] = Json("""{"id":2127301143,"ticket_id":35436}""") }, null));
        var data = await zendesk.SucceedsAsync("ZENDESK_CREATE_TICKET", new
        {
            ticket = new
            {
                subject = "Engine stalls",
                comment = new { body = "The engine stalls after two turns." },
                requester = new { name = "Ada Lovelace", email = "ada@example.com" },
                priority = "high",
                type = "incident",
                tags = new[] { "engine" },
                custom_fields = new[] { new { id = 360001234567, value = "analytical" } },
            },
        });
        Assert.Equal(35436, data.GetProperty("ticket").GetProperty("id").GetInt64());

        var sent = zendesk.Received("POST", "/api/v2/tickets.json");
        Assert.StartsWith("Bearer ", sent.Headers["Authorization"]);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"ticket":{"subject":"Engine stalls","comment":{"body":"The engine stalls after two turns."},"requester":{"name":"Ada Lovelace","email":"ada@example.com"},
                       "priority":"high","type":"incident","tags":["engine"],"custom_fields":[{"id":360001234567,"value":"analytical"}]}}
            """), sent.Json), sent.Body);
    }

    [Fact]
    public async Task Get_ticket_and_its_comments_use_the_ticket_id_in_the_json_path_and_cursor_pages()
    {
        Api.On("GET", "/api/v2/tickets/35436.json", _ => (200, new JsonObject { ["ticket"] = Ticket(35436, "Engine stalls", "open") }, null));
        Api.On("GET", "/api/v2/tickets/35436/comments.json", _ => (200, Json("""
            {"comments":[{"id":1274,"type":"Comment","author_id":20978392,"body":"The engine stalls after two turns.","html_body":"<p>The engine stalls after two turns.</p>",
                          "public":true,"created_at":"2025-06-01T10:00:00Z"}],
             "meta":{"has_more":true,"after_cursor":"xXx","before_cursor":"yYy"},"links":{"next":"https://acme.zendesk.com/api/v2/tickets/35436/comments.json?page%5Bafter%5D=xXx&page%5Bsize%5D=1"}}
            """), null));

        var ticket = await zendesk.SucceedsAsync("ZENDESK_GET_TICKET", new { ticket_id = 35436 });
        Assert.Equal("open", ticket.GetProperty("ticket").GetProperty("status").GetString());

        var comments = await zendesk.SucceedsAsync("ZENDESK_LIST_TICKET_COMMENTS", new { ticket_id = 35436, sort_order = "desc", page_size = 1, page_after = "aAa" });
        Assert.Equal("xXx", comments.GetProperty("meta").GetProperty("after_cursor").GetString());
        var sent = zendesk.Received("GET", "/api/v2/tickets/35436/comments.json");
        Assert.Equal(["desc"], sent.QueryValues["sort_order"]);
        Assert.Equal(["1"], sent.QueryValues["page[size]"]);
        Assert.Equal(["aAa"], sent.QueryValues["page[after]"]);
    }

    [Fact]
    public async Task Update_ticket_adds_an_internal_note_and_tags_and_delete_answers_204_without_a_body()
    {
        Api.On("PUT", "/api/v2/tickets/35436.json", _ => (200, new JsonObject { ["ticket"] = Ticket(35436, "Engine stalls", "pending"), ["audit"] = Json("""{"id":2127301150}""") }, null));
        Api.On("DELETE", "/api/v2/tickets/35436.json", _ => (204, null, null));

        var updated = await zendesk.SucceedsAsync("ZENDESK_UPDATE_TICKET", new
        {
            ticket_id = 35436,
            ticket = new { comment = new { body = "Asked the customer for the crank log.", @public = false }, status = "pending", additional_tags = new[] { "waiting" } },
        });
        Assert.Equal("pending", updated.GetProperty("ticket").GetProperty("status").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""
            {"ticket":{"comment":{"body":"Asked the customer for the crank log.","public":false},"status":"pending","additional_tags":["waiting"]}}
            """), zendesk.Received("PUT", "/api/v2/tickets/35436.json").Json));

        var result = await JsonAssert.OkAsync(await zendesk.PostExecuteAsync("ZENDESK_DELETE_TICKET", new { ticket_id = 35436 }));
        Assert.True(result.GetProperty("successful").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, result.GetProperty("data").ValueKind);
        Assert.Equal("", zendesk.Received("DELETE", "/api/v2/tickets/35436.json").Body);
    }

    [Fact]
    public async Task List_tickets_users_and_organizations_send_cursor_pagination_as_bracketed_page_parameters()
    {
        Api.On("GET", "/api/v2/tickets.json", _ => (200, new JsonObject { ["tickets"] = new JsonArray(Ticket(1, "One"), Ticket(2, "Two")), ["meta"] = Json("""{"has_more":false,"after_cursor":null,"before_cursor":null}""") }, null));
        Api.On("GET", "/api/v2/users.json", _ => (200, Json("""{"users":[{"id":20978392,"name":"Ada Lovelace","email":"ada@example.com","role":"agent","active":true}],"meta":{"has_more":false}}"""), null));
        Api.On("GET", "/api/v2/organizations.json", _ => (200, Json("""{"organizations":[{"id":361898904439,"name":"Analytical Engines","domain_names":["engines.example.com"]}],"meta":{"has_more":false}}"""), null));

        var tickets = await zendesk.SucceedsAsync("ZENDESK_LIST_TICKETS", new { page_size = 25, sort = "-updated_at" });
        Assert.Equal(2, tickets.GetProperty("tickets").GetArrayLength());
        var sent = zendesk.Received("GET", "/api/v2/tickets.json");
        Assert.Equal("?page%5Bsize%5D=25&sort=-updated_at", sent.Query);

        var users = await zendesk.SucceedsAsync("ZENDESK_LIST_USERS", new { role = "agent", page_after = "cur1" });
        Assert.Equal("agent", users.GetProperty("users")[0].GetProperty("role").GetString());
        Assert.Equal(["agent"], zendesk.Received("GET", "/api/v2/users.json").QueryValues["role"]);
        Assert.Equal(["cur1"], zendesk.Received("GET", "/api/v2/users.json").QueryValues["page[after]"]);

        var orgs = await zendesk.SucceedsAsync("ZENDESK_LIST_ORGANIZATIONS", new { page_size = 100 });
        Assert.Equal("Analytical Engines", orgs.GetProperty("organizations")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Search_sends_zendesk_query_syntax_escaped_in_the_query_string()
    {
        Api.On("GET", "/api/v2/search.json", _ => (200, Json("""
            {"results":[{"id":35436,"result_type":"ticket","url":"https://acme.zendesk.com/api/v2/tickets/35436.json","subject":"Engine stalls"}],"facets":null,"next_page":null,"previous_page":null,"count":1}
            """), null));
        var data = await zendesk.SucceedsAsync("ZENDESK_SEARCH", new { query = "type:ticket status<solved requester:ada@example.com", sort_by = "updated_at", sort_order = "desc", per_page = 50 });
        Assert.Equal("ticket", data.GetProperty("results")[0].GetProperty("result_type").GetString());
        var sent = zendesk.Received("GET", "/api/v2/search.json");
        Assert.Equal(["type:ticket status<solved requester:ada@example.com"], sent.QueryValues["query"]);
        Assert.Contains("query=type%3Aticket%20status%3Csolved%20requester%3Aada%40example.com", sent.Query);
        Assert.Equal(["50"], sent.QueryValues["per_page"]);
    }

    [Fact]
    public async Task Users_and_organizations_are_created_wrapped_and_read_back_by_id_and_as_me()
    {
        Api.On("POST", "/api/v2/users.json", r => (201, new JsonObject { ["user"] = Json($$"""{"id":9873843,"name":{{r.Json!["user"]!["name"]!.ToJsonString()}},"email":"grace@example.com","role":"end-user","active":true}""") }, null));
        Api.On("GET", "/api/v2/users/9873843.json", _ => (200, Json("""{"user":{"id":9873843,"name":"Grace Hopper","email":"grace@example.com","role":"end-user"}}"""), null));
        Api.On("GET", "/api/v2/users/me.json", _ => (200, Json("""{"user":{"id":20978392,"name":"Ada Lovelace","email":"ada@example.com","role":"admin"}}"""), null));
        Api.On("POST", "/api/v2/organizations.json", _ => (201, Json("""{"organization":{"id":361898904439,"name":"Analytical Engines","domain_names":["engines.example.com"]}}"""), null));

        var created = await zendesk.SucceedsAsync("ZENDESK_CREATE_USER", new { user = new { name = "Grace Hopper", email = "grace@example.com", role = "end-user", verified = true } });
        Assert.Equal(9873843, created.GetProperty("user").GetProperty("id").GetInt64());
        Assert.True(JsonNode.DeepEquals(Json("""{"user":{"name":"Grace Hopper","email":"grace@example.com","role":"end-user","verified":true}}"""),
            zendesk.Received("POST", "/api/v2/users.json").Json));

        Assert.Equal("Grace Hopper", (await zendesk.SucceedsAsync("ZENDESK_GET_USER", new { user_id = 9873843 })).GetProperty("user").GetProperty("name").GetString());
        Assert.Equal("admin", (await zendesk.SucceedsAsync("ZENDESK_GET_CURRENT_USER", null)).GetProperty("user").GetProperty("role").GetString());

        var org = await zendesk.SucceedsAsync("ZENDESK_CREATE_ORGANIZATION", new { organization = new { name = "Analytical Engines", domain_names = new[] { "engines.example.com" } } });
        Assert.Equal(361898904439, org.GetProperty("organization").GetProperty("id").GetInt64());
        Assert.True(JsonNode.DeepEquals(Json("""{"organization":{"name":"Analytical Engines","domain_names":["engines.example.com"]}}"""),
            zendesk.Received("POST", "/api/v2/organizations.json").Json));
    }

    [Fact]
    public async Task Zendesk_record_not_found_and_record_invalid_are_failed_results_carrying_zendesks_error()
    {
        Api.On("GET", "/api/v2/tickets/999999.json", _ => (404, Json("""{"error":"RecordNotFound","description":"Not found"}"""), null));
        var missing = await zendesk.FailsAsync("ZENDESK_GET_TICKET", new { ticket_id = 999999 }, "upstream_error", 404);
        Assert.Equal("RecordNotFound", missing.GetProperty("data").GetProperty("error").GetString());
        Assert.Contains("Zendesk", missing.GetProperty("error").GetProperty("message").GetString());

        Api.On("POST", "/api/v2/users.json", _ => (422, Json("""
            {"error":"RecordInvalid","description":"Record validation errors",
             "details":{"email":[{"description":"Email: grace@example.com is already being used by another user","error":"DuplicateValue"}]}}
            """), null));
        var invalid = await zendesk.FailsAsync("ZENDESK_CREATE_USER", new { user = new { name = "Grace Hopper", email = "grace@example.com" } }, "upstream_error", 422);
        Assert.Equal("DuplicateValue", invalid.GetProperty("data").GetProperty("details").GetProperty("email")[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_api_token_connection_sends_basic_auth_as_email_slash_token_and_keeps_the_subdomain_field()
    {
        var app = await zendesk.Portal.CreateAppAsync("Token app", HostedConnectDriver.ReturnUrl);
        using var admin = zendesk.Portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "zendesk", authScheme = "basic" })));
        var connectionId = await zendesk.Portal.ConnectHostedAsync(app, "zendesk", "bea", new()
        {
            ["username"] = "bea@example.com/token", ["password"] = "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv", ["field.subdomain"] = "acme",
        });
        var stored = await zendesk.Portal.StoredCredentialsAsync(app.Id, connectionId);
        Assert.Equal("acme", stored.Fields!["subdomain"]);

        Api.On("GET", "/api/v2/users/me.json", _ => (200, Json("""{"user":{"id":1,"name":"Bea","email":"bea@example.com","role":"agent"}}"""), null));
        var accepts = Api.AcceptsToken;
        Api.AcceptsToken = null; // the stand-in's OAuth check would refuse a Basic header
        try
        {
            var result = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute",
                JsonAssert.Body(new { toolName = "ZENDESK_GET_CURRENT_USER", userId = "bea", @params = new { } })));
            Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        }
        finally { Api.AcceptsToken = accepts; }
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bea@example.com/token:6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"));
        Assert.Equal(expected, zendesk.Received("GET", "/api/v2/users/me.json").Headers["Authorization"]);
    }
    [Fact]
    public async Task A_subdomain_that_would_move_the_host_is_refused_on_the_connect_page_and_nothing_is_stored()
    {
        var app = await zendesk.Portal.CreateAppAsync("Field app", HostedConnectDriver.ReturnUrl);
        using var admin = zendesk.Portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "zendesk", authScheme = "basic" })));
        foreach (var subdomain in new[] { "attacker.example/steal", "attacker.example?x=", "acme@attacker.example", "attacker.example#" })
        {
            var refused = await zendesk.Portal.SubmitHostedAsync(app, "zendesk", "eve", new()
            {
                ["username"] = "eve@example.com/token", ["password"] = "secret", ["field.subdomain"] = subdomain,
            });
            Assert.NotEqual(System.Net.HttpStatusCode.Redirect, refused.StatusCode);
        }
        var connections = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{app.Id}/integrations/connections?userId=eve"));
        Assert.Equal(0, connections.GetProperty("items").GetArrayLength());
    }
}
