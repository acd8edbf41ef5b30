using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class IntercomToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Intercom, new Dictionary<string, string> { ["intercom"] = "" });

/// <summary>
/// Intercom REST API tools (https://developers.intercom.com/docs/references/rest-api/api.intercom.io): every call carries
/// `Intercom-Version`, objects carry their `type`, lists page with `pages.next.starting_after`, conversations are changed
/// through `/reply` and `/parts`, and errors are `{type: "error.list", request_id, errors: [{code, message}]}`.
/// </summary>
public sealed class CuratedIntercomToolsTests(IntercomToolkitFixture intercom) : IClassFixture<IntercomToolkitFixture>
{
    private const string Contact = "6657add46abd0167d9419cd2";
    private const string Conversation = "147";
    private FakeProviderApi Api => intercom.Api;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    private static JsonNode ContactJson(string email = "ada@example.com") => Json($$$"""
        {"type":"contact","id":"{{{Contact}}}","workspace_id":"ecahpwf5","external_id":"ada-1","role":"user","email":"{{{email}}}","phone":null,"name":"Ada Lovelace",
         "created_at":1717325780,"updated_at":1717325780,"custom_attributes":{"plan":"pro"}}
        """);

    private static JsonNode ConversationJson(string state) => Json($$$"""
        {"type":"conversation","id":"{{{Conversation}}}","created_at":1717325780,"updated_at":1717325790,"state":"{{{state}}}","open":{{{(state == "open" ? "true" : "false")}}},"read":true,
         "admin_assignee_id":991267,"source":{"type":"conversation","id":"403918316","body":"<p>The engine stalls</p>","author":{"type":"user","id":"{{{Contact}}}","name":"Ada Lovelace","email":"ada@example.com"}},
         "contacts":{"type":"contact.list","contacts":[{"type":"contact","id":"{{{Contact}}}","external_id":"ada-1"}]},
         "conversation_parts":{"type":"conversation_part.list","total_count":1,"conversation_parts":[{"type":"conversation_part","id":"132","part_type":"comment","body":"<p>Looking into it</p>","created_at":1717325790,"author":{"type":"admin","id":"991267","name":"Grace"}}]}}
        """);

    [Fact]
    public async Task Me_and_admins_send_the_bearer_token_and_the_intercom_version_header()
    {
        Api.On("GET", "/me", _ => (200, Json("""{"type":"admin","id":"991267","name":"Grace","email":"grace@example.com","app":{"type":"app","id_code":"ecahpwf5","name":"Engines","region":"US"}}"""), null));
        Api.On("GET", "/admins", _ => (200, Json("""{"type":"admin.list","admins":[{"type":"admin","id":"991267","name":"Grace","email":"grace@example.com","away_mode_enabled":false}]}"""), null));

        var me = await intercom.SucceedsAsync("INTERCOM_GET_ME", null);
        Assert.Equal("ecahpwf5", me.GetProperty("app").GetProperty("id_code").GetString());
        var sent = intercom.Received("GET", "/me");
        Assert.StartsWith("Bearer dG9r", sent.Headers["Authorization"]);
        Assert.Equal("2.11", sent.Headers["Intercom-Version"]);

        var admins = await intercom.SucceedsAsync("INTERCOM_LIST_ADMINS", null);
        Assert.Equal("991267", admins.GetProperty("admins")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Contacts_are_created_read_updated_and_listed_with_custom_attributes_as_an_object()
    {
        Api.On("POST", "/contacts", _ => (200, ContactJson(), null));
        Api.On("GET", $"/contacts/{Contact}", _ => (200, ContactJson(), null));
        Api.On("PUT", $"/contacts/{Contact}", _ => (200, ContactJson("ada@engines.example.com"), null));
        Api.On("GET", "/contacts", _ => (200, new JsonObject
        {
            ["type"] = "list", ["data"] = new JsonArray(ContactJson()), ["total_count"] = 2,
            ["pages"] = Json("""{"type":"pages","next":{"page":2,"starting_after":"WzE3MTczMjU3ODAwMDAsIjY2NTdhZGQ0NmFiZDAxNjdkOTQxOWNkMiIsMl0="},"page":1,"per_page":1,"total_pages":2}"""),
        }, null));

        var created = await intercom.SucceedsAsync("INTERCOM_CREATE_CONTACT", new { role = "user", external_id = "ada-1", email = "ada@example.com", name = "Ada Lovelace", custom_attributes = """{"plan":"pro"}""" });
        Assert.Equal(Contact, created.GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"role":"user","external_id":"ada-1","email":"ada@example.com","name":"Ada Lovelace","custom_attributes":{"plan":"pro"}}"""),
            intercom.Received("POST", "/contacts").Json));

        Assert.Equal("pro", (await intercom.SucceedsAsync("INTERCOM_GET_CONTACT", new { contact_id = Contact })).GetProperty("custom_attributes").GetProperty("plan").GetString());

        var updated = await intercom.SucceedsAsync("INTERCOM_UPDATE_CONTACT", new { contact_id = Contact, email = "ada@engines.example.com" });
        Assert.Equal("ada@engines.example.com", updated.GetProperty("email").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"email":"ada@engines.example.com"}"""), intercom.Received("PUT", $"/contacts/{Contact}").Json));

        var page = await intercom.SucceedsAsync("INTERCOM_LIST_CONTACTS", new { per_page = 1, starting_after = "WzE3MTcz" });
        Assert.Equal(2, page.GetProperty("pages").GetProperty("next").GetProperty("page").GetInt32());
        Assert.Equal(["WzE3MTcz"], intercom.Received("GET", "/contacts").QueryValues["starting_after"]);
    }

    [Fact]
    public async Task Search_contacts_posts_the_query_object_with_pagination_and_sort()
    {
        Api.On("POST", "/contacts/search", _ => (200, new JsonObject { ["type"] = "list", ["data"] = new JsonArray(ContactJson()), ["total_count"] = 1, ["pages"] = Json("""{"type":"pages","page":1,"per_page":5,"total_pages":1}""") }, null));
        var data = await intercom.SucceedsAsync("INTERCOM_SEARCH_CONTACTS", new
        {
            query = """{"operator":"AND","value":[{"field":"email","operator":"~","value":"example.com"},{"field":"role","operator":"=","value":"user"}]}""",
            pagination = new { per_page = 5, starting_after = (string?)null },
            sort = new { field = "created_at", order = "descending" },
        });
        Assert.Equal(1, data.GetProperty("total_count").GetInt32());
        Assert.True(JsonNode.DeepEquals(Json("""
            {"query":{"operator":"AND","value":[{"field":"email","operator":"~","value":"example.com"},{"field":"role","operator":"=","value":"user"}]},
             "pagination":{"per_page":5},"sort":{"field":"created_at","order":"descending"}}
            """), intercom.Received("POST", "/contacts/search").Json));
    }

    [Fact]
    public async Task Conversations_are_listed_read_as_plaintext_started_as_a_contact_and_replied_to_as_an_admin()
    {
        Api.On("GET", "/conversations", _ => (200, new JsonObject { ["type"] = "conversation.list", ["conversations"] = new JsonArray(ConversationJson("open")), ["total_count"] = 1, ["pages"] = Json("""{"type":"pages","page":1,"per_page":20,"total_pages":1}""") }, null));
        Api.On("GET", $"/conversations/{Conversation}", _ => (200, ConversationJson("open"), null));
        Api.On("POST", "/conversations", _ => (200, Json("""{"type":"user_message","id":"403918330","created_at":1717325800,"body":"Engine stalls again","message_type":"inapp","conversation_id":"148"}"""), null));
        Api.On("POST", $"/conversations/{Conversation}/reply", _ => (200, ConversationJson("open"), null));

        var list = await intercom.SucceedsAsync("INTERCOM_LIST_CONVERSATIONS", new { per_page = 20 });
        Assert.Equal(Conversation, list.GetProperty("conversations")[0].GetProperty("id").GetString());

        var one = await intercom.SucceedsAsync("INTERCOM_GET_CONVERSATION", new { conversation_id = Conversation, display_as = "plaintext" });
        Assert.Equal("comment", one.GetProperty("conversation_parts").GetProperty("conversation_parts")[0].GetProperty("part_type").GetString());
        Assert.Equal(["plaintext"], intercom.Received("GET", $"/conversations/{Conversation}").QueryValues["display_as"]);

        var started = await intercom.SucceedsAsync("INTERCOM_CREATE_CONVERSATION", new { from = new { type = "user", id = Contact }, body = "Engine stalls again" });
        Assert.Equal("148", started.GetProperty("conversation_id").GetString());
        Assert.True(JsonNode.DeepEquals(Json($$"""{"from":{"type":"user","id":"{{Contact}}"},"body":"Engine stalls again"}"""), intercom.Received("POST", "/conversations").Json));

        await intercom.SucceedsAsync("INTERCOM_REPLY_TO_CONVERSATION", new { conversation_id = Conversation, message_type = "note", type = "admin", admin_id = "991267", body = "<p>Escalated</p>" });
        Assert.True(JsonNode.DeepEquals(Json("""{"message_type":"note","type":"admin","admin_id":"991267","body":"<p>Escalated</p>"}"""),
            intercom.Received("POST", $"/conversations/{Conversation}/reply").Json));
    }

    [Fact]
    public async Task Manage_closes_a_conversation_and_notes_and_tags_attach_to_a_contact()
    {
        Api.On("POST", $"/conversations/{Conversation}/parts", _ => (200, ConversationJson("closed"), null));
        Api.On("POST", $"/contacts/{Contact}/notes", _ => (200, Json($$"""
            {"type":"note","id":"29","created_at":1717325800,"contact":{"type":"contact","id":"{{Contact}}"},"author":{"type":"admin","id":"991267","name":"Grace"},"body":"<p>VIP</p>"}
            """), null));
        Api.On("GET", "/tags", _ => (200, Json("""{"type":"list","data":[{"type":"tag","id":"81","name":"vip"}]}"""), null));
        Api.On("POST", $"/contacts/{Contact}/tags", _ => (200, Json("""{"type":"tag","id":"81","name":"vip"}"""), null));

        var closed = await intercom.SucceedsAsync("INTERCOM_MANAGE_CONVERSATION", new { conversation_id = Conversation, message_type = "close", type = "admin", admin_id = "991267", body = "Fixed in 2.1" });
        Assert.Equal("closed", closed.GetProperty("state").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"message_type":"close","type":"admin","admin_id":"991267","body":"Fixed in 2.1"}"""),
            intercom.Received("POST", $"/conversations/{Conversation}/parts").Json));

        var note = await intercom.SucceedsAsync("INTERCOM_CREATE_NOTE", new { contact_id = Contact, body = "<p>VIP</p>", admin_id = "991267" });
        Assert.Equal("29", note.GetProperty("id").GetString());

        var tags = await intercom.SucceedsAsync("INTERCOM_LIST_TAGS", null);
        Assert.Equal("vip", tags.GetProperty("data")[0].GetProperty("name").GetString());
        await intercom.SucceedsAsync("INTERCOM_TAG_CONTACT", new { contact_id = Contact, id = "81" });
        Assert.True(JsonNode.DeepEquals(Json("""{"id":"81"}"""), intercom.Received("POST", $"/contacts/{Contact}/tags").Json));
    }

    [Fact]
    public async Task Intercoms_error_list_is_a_failed_result_with_its_code()
    {
        Api.On("GET", "/contacts/nope", _ => (404, Json("""{"type":"error.list","request_id":"000nq4d05s9jrc6cp0r0","errors":[{"code":"not_found","message":"User Not Found"}]}"""), null));
        var missing = await intercom.FailsAsync("INTERCOM_GET_CONTACT", new { contact_id = "nope" }, "upstream_error", 404);
        Assert.Equal("not_found", missing.GetProperty("data").GetProperty("errors")[0].GetProperty("code").GetString());

        Api.On("POST", "/contacts", _ => (409, Json($$"""
            {"type":"error.list","request_id":"000ol1q4dj7ptbebq6a0","errors":[{"code":"conflict","message":"A contact matching those details already exists with id={{Contact}}"}]}
            """), null));
        var conflict = await intercom.FailsAsync("INTERCOM_CREATE_CONTACT", new { email = "ada@example.com" }, "upstream_error", 409);
        Assert.Contains(Contact, conflict.GetProperty("data").GetProperty("errors")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_access_token_connection_sends_the_token_as_bearer()
    {
        var app = await intercom.Portal.CreateAppAsync("Token app", HostedConnectDriver.ReturnUrl);
        using var admin = intercom.Portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "intercom", authScheme = "bearer" })));
        const string token = "dG9rOmFiY2RlZjEyXzM0NTZfNDc4OV85MGFiX2NkZWYwMTIzNDU2Nzo6";
        await intercom.Portal.ConnectHostedAsync(app, "intercom", "bea", new() { ["token"] = token });

        Api.On("GET", "/tags", _ => (200, Json("""{"type":"list","data":[]}"""), null));
        var accepts = Api.AcceptsToken;
        Api.AcceptsToken = t => t == token;
        try
        {
            var result = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute",
                JsonAssert.Body(new { toolName = "INTERCOM_LIST_TAGS", userId = "bea", @params = new { } })));
            Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        }
        finally { Api.AcceptsToken = accepts; }
        var sent = intercom.Received("GET", "/tags");
        Assert.Equal("Bearer " + token, sent.Headers["Authorization"]);
        Assert.Equal("2.11", sent.Headers["Intercom-Version"]);
    }
}
