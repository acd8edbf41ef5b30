using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class CalendlyToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Calendly, new Dictionary<string, string> { ["calendly"] = "" });

/// <summary>
/// Calendly API v2 tools (https://developer.calendly.com/api-docs): resources named by full URIs in query parameters
/// (`user=https://api.calendly.com/users/…`), UUIDs in paths, `{resource}` for one and `{collection, pagination}` for
/// lists, and errors as `{title, message, details}` (https://developer.calendly.com/api-docs/ZG9jOjM2MzE2MDM4-errors).
/// </summary>
public sealed class CuratedCalendlyToolsTests(CalendlyToolkitFixture calendly) : IClassFixture<CalendlyToolkitFixture>
{
    private const string User = "https://api.calendly.com/users/AAAAAAAAAAAAAAAA";
    private const string Org = "https://api.calendly.com/organizations/BBBBBBBBBBBBBBBB";
    private const string EventType = "https://api.calendly.com/event_types/CCCCCCCCCCCCCCCC";
    private const string Event = "GBGBDCAADAEDCRZ2";
    private FakeProviderApi Api => calendly.Api;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    private static JsonNode Page(string items) => Json($$$"""{"collection":{{{items}}},"pagination":{"count":1,"next_page":null,"previous_page":null,"next_page_token":null,"previous_page_token":null}}""");

    private const string EventJson = $$$"""
        {"uri":"https://api.calendly.com/scheduled_events/{{{Event}}}","name":"Intro call","status":"active","start_time":"2025-06-02T09:00:00.000000Z",
         "end_time":"2025-06-02T09:30:00.000000Z","event_type":"{{{EventType}}}","location":{"type":"zoom","join_url":"https://zoom.us/j/1"},
         "invitees_counter":{"total":1,"active":1,"limit":1},"created_at":"2025-06-01T10:00:00.000000Z","updated_at":"2025-06-01T10:00:00.000000Z"}
        """;

    [Fact]
    public async Task Current_user_then_event_types_and_one_event_type_by_uuid()
    {
        Api.On("GET", "/users/me", _ => (200, Json($$$"""
            {"resource":{"uri":"{{{User}}}","name":"Ada Lovelace","slug":"ada","email":"ada@example.com","scheduling_url":"https://calendly.com/ada","timezone":"Europe/London","current_organization":"{{{Org}}}"}}
            """), null));
        Api.On("GET", "/event_types", _ => (200, Page($$$"""[{"uri":"{{{EventType}}}","name":"Intro call","active":true,"slug":"intro","scheduling_url":"https://calendly.com/ada/intro","duration":30,"kind":"solo","type":"StandardEventType"}]"""), null));
        Api.On("GET", "/event_types/CCCCCCCCCCCCCCCC", _ => (200, Json($$$"""{"resource":{"uri":"{{{EventType}}}","name":"Intro call","duration":30}}"""), null));

        var me = await calendly.SucceedsAsync("CALENDLY_GET_CURRENT_USER", null);
        Assert.Equal(User, me.GetProperty("resource").GetProperty("uri").GetString());
        Assert.StartsWith("Bearer eyJ", calendly.Received("GET", "/users/me").Headers["Authorization"]);

        var types = await calendly.SucceedsAsync("CALENDLY_LIST_EVENT_TYPES", new { user = User, active = true, count = 50 });
        Assert.Equal(30, types.GetProperty("collection")[0].GetProperty("duration").GetInt32());
        var sent = calendly.Received("GET", "/event_types");
        Assert.Equal([User], sent.QueryValues["user"]);
        Assert.Equal(["true"], sent.QueryValues["active"]);
        Assert.Equal(["50"], sent.QueryValues["count"]);
        Assert.False(sent.QueryValues.ContainsKey("organization"));

        var type = await calendly.SucceedsAsync("CALENDLY_GET_EVENT_TYPE", new { uuid = "CCCCCCCCCCCCCCCC" });
        Assert.Equal("Intro call", type.GetProperty("resource").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Scheduled_events_are_listed_by_organization_and_time_read_by_uuid_with_their_invitees()
    {
        Api.On("GET", "/scheduled_events", _ => (200, Page($"[{EventJson}]"), null));
        Api.On("GET", $"/scheduled_events/{Event}", _ => (200, Json($$$"""{"resource":{{{EventJson}}}}"""), null));
        Api.On("GET", $"/scheduled_events/{Event}/invitees", _ => (200, Page("""
            [{"uri":"https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/DDDDDDDDDDDDDDDD","email":"grace@example.com","name":"Grace Hopper","status":"active",
              "timezone":"America/New_York","questions_and_answers":[{"question":"Topic?","answer":"Compilers","position":0}],
              "cancel_url":"https://calendly.com/cancellations/DDDDDDDDDDDDDDDD","reschedule_url":"https://calendly.com/reschedulings/DDDDDDDDDDDDDDDD","created_at":"2025-06-01T10:00:00.000000Z"}]
            """), null));

        var events = await calendly.SucceedsAsync("CALENDLY_LIST_SCHEDULED_EVENTS", new
        {
            organization = Org, status = "active", min_start_time = "2025-06-01T00:00:00Z", max_start_time = "2025-06-08T00:00:00Z", sort = "start_time:asc", page_token = "tok2",
        });
        Assert.Equal("Intro call", events.GetProperty("collection")[0].GetProperty("name").GetString());
        var sent = calendly.Received("GET", "/scheduled_events");
        Assert.Equal([Org], sent.QueryValues["organization"]);
        Assert.Equal(["2025-06-01T00:00:00Z"], sent.QueryValues["min_start_time"]);
        Assert.Equal(["start_time:asc"], sent.QueryValues["sort"]);
        Assert.Equal(["tok2"], sent.QueryValues["page_token"]);

        var one = await calendly.SucceedsAsync("CALENDLY_GET_SCHEDULED_EVENT", new { uuid = Event });
        Assert.Equal("zoom", one.GetProperty("resource").GetProperty("location").GetProperty("type").GetString());

        var invitees = await calendly.SucceedsAsync("CALENDLY_LIST_EVENT_INVITEES", new { uuid = Event, status = "active", email = "grace@example.com" });
        Assert.Equal("Compilers", invitees.GetProperty("collection")[0].GetProperty("questions_and_answers")[0].GetProperty("answer").GetString());
        Assert.Equal(["grace@example.com"], calendly.Received("GET", $"/scheduled_events/{Event}/invitees").QueryValues["email"]);
    }

    [Fact]
    public async Task Cancel_posts_the_reason_to_the_cancellation_and_a_single_use_link_names_its_event_type()
    {
        Api.On("POST", $"/scheduled_events/{Event}/cancellation", r => (201, Json($$$"""
            {"resource":{"canceled_by":"Ada Lovelace","reason":{{{r.Json!["reason"]!.ToJsonString()}}},"canceler_type":"host","created_at":"2025-06-01T11:00:00.000000Z"}}
            """), null));
        Api.On("POST", "/scheduling_links", _ => (201, Json($$$"""
            {"resource":{"booking_url":"https://calendly.com/d/abcd-brv8/intro-call","owner":"{{{EventType}}}","owner_type":"EventType"}}
            """), null));

        var canceled = await calendly.SucceedsAsync("CALENDLY_CANCEL_SCHEDULED_EVENT", new { uuid = Event, reason = "Double-booked, sorry." });
        Assert.Equal("host", canceled.GetProperty("resource").GetProperty("canceler_type").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"reason":"Double-booked, sorry."}"""), calendly.Received("POST", $"/scheduled_events/{Event}/cancellation").Json));

        var link = await calendly.SucceedsAsync("CALENDLY_CREATE_SCHEDULING_LINK", new { owner = EventType, owner_type = "EventType", max_event_count = 1 });
        Assert.Equal("https://calendly.com/d/abcd-brv8/intro-call", link.GetProperty("resource").GetProperty("booking_url").GetString());
        Assert.True(JsonNode.DeepEquals(Json($$$"""{"owner":"{{{EventType}}}","owner_type":"EventType","max_event_count":1}"""), calendly.Received("POST", "/scheduling_links").Json));
    }

    [Fact]
    public async Task Members_availability_busy_times_and_open_slots_take_uris_and_time_ranges()
    {
        Api.On("GET", "/organization_memberships", _ => (200, Page($$$"""
            [{"uri":"https://api.calendly.com/organization_memberships/EEEEEEEEEEEEEEEE","role":"owner","user":{"uri":"{{{User}}}","name":"Ada Lovelace","email":"ada@example.com"},"organization":"{{{Org}}}"}]
            """), null));
        Api.On("GET", "/user_availability_schedules", _ => (200, Json($$$"""
            {"collection":[{"uri":"https://api.calendly.com/user_availability_schedules/FFFFFFFFFFFFFFFF","default":true,"name":"Working hours","user":"{{{User}}}","timezone":"Europe/London",
              "rules":[{"type":"wday","wday":"monday","intervals":[{"from":"09:00","to":"17:00"}]}]}]}
            """), null));
        Api.On("GET", "/user_busy_times", _ => (200, Json("""
            {"collection":[{"type":"calendly","start_time":"2025-06-02T09:00:00Z","end_time":"2025-06-02T09:30:00Z","event":{"uri":"https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2"}}]}
            """), null));
        Api.On("GET", "/event_type_available_times", _ => (200, Json("""
            {"collection":[{"status":"available","invitees_remaining":1,"start_time":"2025-06-03T10:00:00Z","scheduling_url":"https://calendly.com/ada/intro/2025-06-03T10:00:00Z"}]}
            """), null));

        var members = await calendly.SucceedsAsync("CALENDLY_LIST_ORGANIZATION_MEMBERSHIPS", new { organization = Org });
        Assert.Equal("owner", members.GetProperty("collection")[0].GetProperty("role").GetString());
        Assert.Equal([Org], calendly.Received("GET", "/organization_memberships").QueryValues["organization"]);

        var schedules = await calendly.SucceedsAsync("CALENDLY_LIST_USER_AVAILABILITY_SCHEDULES", new { user = User });
        Assert.Equal("monday", schedules.GetProperty("collection")[0].GetProperty("rules")[0].GetProperty("wday").GetString());

        var busy = await calendly.SucceedsAsync("CALENDLY_LIST_USER_BUSY_TIMES", new { user = User, start_time = "2025-06-02T00:00:00Z", end_time = "2025-06-09T00:00:00Z" });
        Assert.Equal("calendly", busy.GetProperty("collection")[0].GetProperty("type").GetString());
        var sent = calendly.Received("GET", "/user_busy_times");
        Assert.Equal([User], sent.QueryValues["user"]);
        Assert.Equal(["2025-06-09T00:00:00Z"], sent.QueryValues["end_time"]);

        var slots = await calendly.SucceedsAsync("CALENDLY_LIST_EVENT_TYPE_AVAILABLE_TIMES", new { event_type = EventType, start_time = "2025-06-03T00:00:00Z", end_time = "2025-06-04T00:00:00Z" });
        Assert.Equal(1, slots.GetProperty("collection")[0].GetProperty("invitees_remaining").GetInt32());
        Assert.Equal([EventType], calendly.Received("GET", "/event_type_available_times").QueryValues["event_type"]);
    }

    [Fact]
    public async Task Calendlys_not_found_invalid_argument_and_permission_denied_are_failed_results_with_their_title()
    {
        Api.On("GET", "/scheduled_events/NOPE000000000000", _ => (404, Json("""{"title":"Resource Not Found","message":"The server could not find the requested resource."}"""), null));
        var missing = await calendly.FailsAsync("CALENDLY_GET_SCHEDULED_EVENT", new { uuid = "NOPE000000000000" }, "upstream_error", 404);
        Assert.Equal("Resource Not Found", missing.GetProperty("data").GetProperty("title").GetString());

        Api.On("GET", "/scheduled_events", _ => (400, Json("""
            {"title":"Invalid Argument","message":"The supplied parameters are invalid.","details":[{"parameter":"user","message":"must be a valid URI"}]}
            """), null));
        var invalid = await calendly.FailsAsync("CALENDLY_LIST_SCHEDULED_EVENTS", new { user = "ada" }, "upstream_error", 400);
        Assert.Equal("user", invalid.GetProperty("data").GetProperty("details")[0].GetProperty("parameter").GetString());

        Api.On("POST", $"/scheduled_events/{Event}/cancellation", _ => (403, Json("""{"title":"Permission Denied","message":"Event in the past can not be canceled"}"""), null));
        var denied = await calendly.FailsAsync("CALENDLY_CANCEL_SCHEDULED_EVENT", new { uuid = Event }, "insufficient_scope", 403);
        Assert.Equal("Permission Denied", denied.GetProperty("data").GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_personal_access_token_connection_sends_the_token_as_bearer()
    {
        var app = await calendly.Portal.CreateAppAsync("PAT app", HostedConnectDriver.ReturnUrl);
        using var admin = calendly.Portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "calendly", authScheme = "bearer" })));
        const string pat = "eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFmYThhNjVlNjg0MDIzZjdjMzJiZTgzNDliMjM4MDEzNWI0IiwidHlwIjoiUEFUIiwiYWxnIjoiRVMyNTYifQ.pat";
        await calendly.Portal.ConnectHostedAsync(app, "calendly", "bea", new() { ["token"] = pat });

        Api.On("GET", "/users/me", _ => (200, Json($$$"""{"resource":{"uri":"{{{User}}}","name":"Bea"}}"""), null));
        var accepts = Api.AcceptsToken;
        Api.AcceptsToken = token => token == pat;
        try
        {
            var result = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute",
                JsonAssert.Body(new { toolName = "CALENDLY_GET_CURRENT_USER", userId = "bea", @params = new { } })));
            Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        }
        finally { Api.AcceptsToken = accepts; }
        Assert.Equal("Bearer " + pat, calendly.Received("GET", "/users/me").Headers["Authorization"]);
    }
}
