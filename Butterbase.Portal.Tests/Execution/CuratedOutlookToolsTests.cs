using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class OutlookToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Microsoft, new Dictionary<string, string> { ["outlook"] = "/v1.0" });

/// <summary>
/// Outlook tools on Microsoft Graph v1.0 (https://learn.microsoft.com/graph/api/resources/mail-api-overview,
/// .../calendar): OData query options, JSON bodies, errors as `{error: {code, message, innerError}}`.
/// </summary>
public sealed partial class CuratedOutlookToolsTests(OutlookToolkitFixture outlook) : IClassFixture<OutlookToolkitFixture>
{
    private FakeProviderApi Api => outlook.Api;
    private OutlookToolkitFixture Kit => outlook;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task Send_email_posts_graphs_message_shape_with_cc_bcc_and_html_and_answers_sent()
    {
        Api.On("POST", "/v1.0/me/sendMail", _ => (202, null, null));
        var data = await outlook.SucceedsAsync("OUTLOOK_SEND_EMAIL", new
        {
            to = "Ann Example <ann@example.com>, bob@example.com",
            subject = "Lunch?",
            body = "<p>Noon?</p>",
            cc = "cy@example.com",
            bcc = "audit@example.com",
            is_html = true,
        });
        Assert.True(data.GetProperty("sent").GetBoolean());

        var sent = outlook.Received("POST", "/v1.0/me/sendMail");
        Assert.StartsWith("Bearer EwB", sent.Headers["Authorization"]);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"message":{"subject":"Lunch?","body":{"contentType":"HTML","content":"<p>Noon?</p>"},
                        "toRecipients":[{"emailAddress":{"address":"ann@example.com","name":"Ann Example"}},{"emailAddress":{"address":"bob@example.com"}}],
                        "ccRecipients":[{"emailAddress":{"address":"cy@example.com"}}],
                        "bccRecipients":[{"emailAddress":{"address":"audit@example.com"}}]},
             "saveToSentItems":true}
            """), sent.Json), sent.Body);
    }

    [Fact]
    public async Task List_messages_maps_parameters_to_odata_options_and_a_folder_to_its_path()
    {
        var page = Json("""
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users('ada')/messages","value":[{"id":"AAMk1","subject":"Invoice","isRead":false,
              "from":{"emailAddress":{"name":"Bob","address":"bob@example.com"}},"receivedDateTime":"2025-06-01T08:00:00Z","bodyPreview":"Please find"}],
             "@odata.nextLink":"https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages?$skip=15"}
            """);
        Api.On("GET", "/v1.0/me/mailFolders/inbox/messages", _ => (200, page, null));
        Api.On("GET", "/v1.0/me/messages", _ => (200, page, null));

        var data = await outlook.SucceedsAsync("OUTLOOK_LIST_MESSAGES", new { folder = "inbox", top = 5, skip = 10, filter = "isRead eq false" });
        Assert.Equal("Invoice", data.GetProperty("value")[0].GetProperty("subject").GetString());
        Assert.StartsWith("https://graph.microsoft.com/", data.GetProperty("@odata.nextLink").GetString());
        var inbox = outlook.Received("GET", "/v1.0/me/mailFolders/inbox/messages");
        Assert.Contains("$top=5", inbox.Query);
        Assert.Equal(["5"], inbox.QueryValues["$top"]);
        Assert.Equal(["10"], inbox.QueryValues["$skip"]);
        Assert.Equal(["isRead eq false"], inbox.QueryValues["$filter"]);
        Assert.Contains("bodyPreview", inbox.QueryValues["$select"][0]);
        Assert.DoesNotContain("body,", inbox.QueryValues["$select"][0] + ",");
        Assert.False(inbox.QueryValues.ContainsKey("$orderby")); // Graph refuses $orderby on properties missing from $filter

        await outlook.SucceedsAsync("OUTLOOK_LIST_MESSAGES", new { search = "from:alice subject:invoice" });
        var all = outlook.Received("GET", "/v1.0/me/messages");
        Assert.Equal(["\"from:alice subject:invoice\""], all.QueryValues["$search"]);
        Assert.False(all.QueryValues.ContainsKey("$orderby"));

        await outlook.SucceedsAsync("OUTLOOK_LIST_MESSAGES", new { top = 3 });
        Assert.Equal(["receivedDateTime desc"], outlook.Received("GET", "/v1.0/me/messages").QueryValues["$orderby"]);

        var before = Api.Requests.Count;
        await JsonAssert.ErrorAsync(await outlook.PostExecuteAsync("OUTLOOK_LIST_MESSAGES", new { search = "a", filter = "isRead eq false" }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        await JsonAssert.ErrorAsync(await outlook.PostExecuteAsync("OUTLOOK_LIST_MESSAGES", new { folder = "../../users/someone" }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task List_events_uses_the_calendar_view_window_and_the_prefer_time_zone_header()
    {
        Api.On("GET", "/v1.0/me/calendarView", _ => (200, Json("""
            {"value":[{"id":"AAMkE1","subject":"Standup","start":{"dateTime":"2025-06-02T09:00:00.0000000","timeZone":"Europe/Paris"},
              "end":{"dateTime":"2025-06-02T09:15:00.0000000","timeZone":"Europe/Paris"},"location":{"displayName":"Teams"},"webLink":"https://outlook.office365.com/owa/?itemid=AAMkE1"}]}
            """), null));
        var data = await outlook.SucceedsAsync("OUTLOOK_LIST_EVENTS", new { startDateTime = "2025-06-01T00:00:00+02:00", endDateTime = "2025-06-08T00:00:00Z", top = 20, timeZone = "Europe/Paris" });
        Assert.Equal("Standup", data.GetProperty("value")[0].GetProperty("subject").GetString());

        var sent = outlook.Received("GET", "/v1.0/me/calendarView");
        Assert.Equal(["2025-06-01T00:00:00+02:00"], sent.QueryValues["startDateTime"]); // '+' escaped, so it is not read as a space
        Assert.Equal(["2025-06-08T00:00:00Z"], sent.QueryValues["endDateTime"]);
        Assert.Equal(["20"], sent.QueryValues["$top"]);
        Assert.Equal(["start/dateTime"], sent.QueryValues["$orderby"]);
        Assert.Equal("outlook.timezone=\"Europe/Paris\"", sent.Headers["Prefer"]);
    }

    [Fact]
    public async Task Create_event_sends_graphs_event_with_attendees_and_a_teams_meeting_and_returns_the_join_url()
    {
        Api.On("POST", "/v1.0/me/events", r => (201, Json($$$"""
            {"id":"AAMkNew","webLink":"https://outlook.office365.com/owa/?itemid=AAMkNew","subject":{{{r.Json!["subject"]!.ToJsonString()}}},
             "start":{{{r.Json!["start"]!.ToJsonString()}}},"end":{{{r.Json!["end"]!.ToJsonString()}}},"location":{"displayName":"Room 4"},
             "body":{"contentType":"html","content":"<html>…</html>"},"attendees":[{"type":"required","emailAddress":{"address":"bob@example.com"}}],
             "isOnlineMeeting":true,"onlineMeeting":{"joinUrl":"https://teams.microsoft.com/l/meetup-join/19%3ameeting"}}
            """), null));
        var data = await outlook.SucceedsAsync("OUTLOOK_CREATE_EVENT", new
        {
            subject = "Design review",
            startDateTime = "2025-06-03T14:00:00",
            endDateTime = "2025-06-03T15:00:00",
            timeZone = "W. Europe Standard Time",
            body = "Agenda: API",
            location = "Room 4",
            attendees = new[] { "bob@example.com" },
            isOnlineMeeting = true,
        });
        Assert.Equal("AAMkNew", data.GetProperty("id").GetString());
        Assert.Equal("https://teams.microsoft.com/l/meetup-join/19%3ameeting", data.GetProperty("joinUrl").GetString());
        Assert.Equal("Room 4", data.GetProperty("location").GetString());
        Assert.False(data.TryGetProperty("body", out _));

        var sent = outlook.Received("POST", "/v1.0/me/events");
        Assert.Equal("outlook.timezone=\"W. Europe Standard Time\"", sent.Headers["Prefer"]);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"subject":"Design review",
             "start":{"dateTime":"2025-06-03T14:00:00","timeZone":"W. Europe Standard Time"},"end":{"dateTime":"2025-06-03T15:00:00","timeZone":"W. Europe Standard Time"},
             "body":{"contentType":"Text","content":"Agenda: API"},"location":{"displayName":"Room 4"},
             "attendees":[{"emailAddress":{"address":"bob@example.com"},"type":"required"}],
             "isOnlineMeeting":true,"onlineMeetingProvider":"teamsForBusiness"}
            """), sent.Json), sent.Body);

        // A time with an offset and no timeZone keeps its instant, in UTC.
        await outlook.SucceedsAsync("OUTLOOK_CREATE_EVENT", new { subject = "Call", startDateTime = "2025-06-03T14:00:00+02:00", endDateTime = "2025-06-03T14:30:00+02:00" });
        var utc = outlook.Received("POST", "/v1.0/me/events").Json!;
        Assert.True(JsonNode.DeepEquals(Json("""{"dateTime":"2025-06-03T12:00:00","timeZone":"UTC"}"""), utc["start"]), utc.ToJsonString());
        Assert.False(outlook.Received("POST", "/v1.0/me/events").Headers.ContainsKey("Prefer"));
    }

    [Fact]
    public async Task A_graph_401_forces_one_refresh_and_retry_then_is_an_unauthorized_result()
    {
        Api.On("GET", "/v1.0/me/mailFolders/archive/messages", _ => (401, Json("""
            {"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure. Invalid audience.",
              "innerError":{"date":"2025-06-01T10:00:00","request-id":"5f6d7e8f-0000-4000-8000-000000000000","client-request-id":"5f6d7e8f-0000-4000-8000-000000000000"}}}
            """), null));
        var refreshes = outlook.OAuth.RefreshGrants;
        var failed = await outlook.FailsAsync("OUTLOOK_LIST_MESSAGES", new { folder = "archive" }, "unauthorized", 401);
        Assert.Equal("InvalidAuthenticationToken", failed.GetProperty("data").GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(refreshes + 1, outlook.OAuth.RefreshGrants);
        var tries = Api.Requests.Where(r => r.Path == "/v1.0/me/mailFolders/archive/messages").Select(r => r.Headers["Authorization"]).ToList();
        Assert.Equal(2, tries.Count);
        Assert.NotEqual(tries[0], tries[1]); // the retry carried the refreshed token
    }
}
