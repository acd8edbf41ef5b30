using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.WebUtilities;
using MimeKit;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// The hand-made Gmail, Calendar, Sheets and Drive tools beyond the first four (issue 14 "curated depth"), each against the
/// stand-in on Google's real path with Google's request and answer shapes, and the scope check before any call.
/// </summary>
public sealed partial class CuratedGoogleToolsTests
{
    private const string Scope = "https://www.googleapis.com/auth/";

    private static bool Same(string json, JsonNode? sent) => JsonNode.DeepEquals(JsonNode.Parse(json), sent);

    /// <summary>Google's error body (https://cloud.google.com/apis/design/errors).</summary>
    private static JsonNode GoogleError(int code, string message, string status, string reason) => JsonNode.Parse($$$"""
        {"error":{"code":{{{code}}},"message":"{{{message}}}","errors":[{"message":"{{{message}}}","domain":"global","reason":"{{{reason}}}"}],"status":"{{{status}}}"}}
        """)!;

    // ---- Gmail ----

    [Fact]
    public async Task Gmail_label_tools_create_patch_and_delete_labels_and_a_taken_name_is_googles_409()
    {
        Api.On("POST", "/gmail/v1/users/me/labels", r => r.Json!["name"]!.GetValue<string>() == "Taken"
            ? (409, GoogleError(409, "Label name exists or conflicts", "ABORTED", "duplicate"), null)
            : (200, new { id = "Label_12", name = r.Json!["name"]!.GetValue<string>(), type = "user", labelListVisibility = "labelShow", messageListVisibility = "show" }, null));
        Api.On("PATCH", "/gmail/v1/users/me/labels/Label_12", _ => (200, new { id = "Label_12", name = "Clients/Acme Corp", type = "user" }, null));
        Api.On("DELETE", "/gmail/v1/users/me/labels/Label_12", _ => (204, null, null));

        var created = await Google.SucceedsAsync("GMAIL_CREATE_LABEL", new { name = "Clients/Acme", labelListVisibility = "labelShow", messageListVisibility = "show" });
        Assert.Equal("Label_12", created.GetProperty("id").GetString());
        var create = Google.Received("POST", "/gmail/v1/users/me/labels");
        Assert.StartsWith("Bearer ya29.", create.Headers["Authorization"]);
        Assert.True(Same("""{"name":"Clients/Acme","labelListVisibility":"labelShow","messageListVisibility":"show"}""", create.Json), create.Body);

        var renamed = await Google.SucceedsAsync("GMAIL_UPDATE_LABEL", new { label_id = "Label_12", name = "Clients/Acme Corp" });
        Assert.Equal("Clients/Acme Corp", renamed.GetProperty("name").GetString());
        Assert.True(Same("""{"name":"Clients/Acme Corp"}""", Google.Received("PATCH", "/gmail/v1/users/me/labels/Label_12").Json)); // nulls are not sent

        var deleted = await JsonAssert.OkAsync(await Google.PostExecuteAsync("GMAIL_DELETE_LABEL", new { label_id = "Label_12" }));
        Assert.True(deleted.GetProperty("successful").GetBoolean());
        Assert.Equal("", Google.Received("DELETE", "/gmail/v1/users/me/labels/Label_12").Body);

        var taken = await Google.FailsAsync("GMAIL_CREATE_LABEL", new { name = "Taken" }, "upstream_error", 409);
        Assert.Equal("Label name exists or conflicts", taken.GetProperty("data").GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Gmail_labelling_a_message_posts_add_and_remove_label_ids_and_trash_posts_to_trash()
    {
        Api.On("POST", "/gmail/v1/users/me/messages/m1/modify", _ => (200, new { id = "m1", threadId = "t1", labelIds = new[] { "Label_12", "STARRED" } }, null));
        Api.On("POST", "/gmail/v1/users/me/messages/m1/trash", _ => (200, new { id = "m1", threadId = "t1", labelIds = new[] { "TRASH" } }, null));

        var labelled = await Google.SucceedsAsync("GMAIL_MODIFY_MESSAGE_LABELS", new { message_id = "m1", addLabelIds = new[] { "Label_12", "STARRED" }, removeLabelIds = new[] { "UNREAD", "INBOX" } });
        Assert.Equal(["Label_12", "STARRED"], labelled.GetProperty("labelIds").EnumerateArray().Select(l => l.GetString()));
        Assert.True(Same("""{"addLabelIds":["Label_12","STARRED"],"removeLabelIds":["UNREAD","INBOX"]}""", Google.Received("POST", "/gmail/v1/users/me/messages/m1/modify").Json));

        var trashed = await Google.SucceedsAsync("GMAIL_TRASH_MESSAGE", new { message_id = "m1" });
        Assert.Equal("TRASH", trashed.GetProperty("labelIds")[0].GetString());
        Assert.Equal("", Google.Received("POST", "/gmail/v1/users/me/messages/m1/trash").Body);
    }

    [Fact]
    public async Task Gmail_threads_are_listed_with_a_query_and_read_with_metadata_headers_and_an_attachment_comes_back_base64url()
    {
        Api.On("GET", "/gmail/v1/users/me/threads", _ => (200, new { threads = new[] { new { id = "t1", snippet = "Lunch?", historyId = "991" } }, resultSizeEstimate = 1 }, null));
        Api.On("GET", "/gmail/v1/users/me/threads/t1", _ => (200, new
        {
            id = "t1",
            historyId = "991",
            messages = new[] { new { id = "m1", threadId = "t1", labelIds = new[] { "INBOX" }, snippet = "Lunch?", payload = new { headers = new[] { new { name = "Subject", value = "Lunch" } } } } },
        }, null));
        Api.On("GET", "/gmail/v1/users/me/messages/m1/attachments/ANGjdJ8", _ => (200, new { attachmentId = "ANGjdJ8", size = 5, data = "aGVsbG8" }, null));

        var threads = await Google.SucceedsAsync("GMAIL_LIST_THREADS", new { q = "subject:lunch", maxResults = 10, labelIds = new[] { "INBOX" } });
        Assert.Equal("t1", threads.GetProperty("threads")[0].GetProperty("id").GetString());
        var list = Google.Received("GET", "/gmail/v1/users/me/threads").QueryValues;
        Assert.Equal(["subject:lunch"], list["q"]);
        Assert.Equal(["10"], list["maxResults"]);
        Assert.Equal(["INBOX"], list["labelIds"]);

        var thread = await Google.SucceedsAsync("GMAIL_GET_THREAD", new { thread_id = "t1", format = "metadata", metadataHeaders = new[] { "From", "Subject" } });
        Assert.Equal("m1", thread.GetProperty("messages")[0].GetProperty("id").GetString());
        var get = Google.Received("GET", "/gmail/v1/users/me/threads/t1").QueryValues;
        Assert.Equal(["metadata"], get["format"]);
        Assert.Equal(["From", "Subject"], get["metadataHeaders"]);

        var attachment = await Google.SucceedsAsync("GMAIL_GET_ATTACHMENT", new { message_id = "m1", attachment_id = "ANGjdJ8" });
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(attachment.GetProperty("data").GetString()!)));
    }

    private static (string Name, string Value)[] OriginalHeaders =>
    [
        ("From", "Ann Example <ann@example.com>"), ("To", "me@example.com, Carl <carl@example.com>"), ("Cc", "dora@example.com"),
        ("Subject", "Quarterly report"), ("Message-ID", "<CAF=orig@mail.gmail.com>"), ("References", "<CAF=first@mail.gmail.com>"),
    ];

    [Fact]
    public async Task Gmail_reply_reads_the_original_then_sends_in_its_thread_with_in_reply_to_references_and_re_subject()
    {
        Api.On("GET", "/gmail/v1/users/me/messages/m7", _ => (200, new
        {
            id = "m7",
            threadId = "t7",
            payload = new { headers = OriginalHeaders.Select(h => new { name = h.Name, value = h.Value }).ToArray() },
        }, null));
        Api.On("POST", "/gmail/v1/users/me/messages/send", r => (200, new { id = "m8", threadId = r.Json!["threadId"]!.GetValue<string>(), labelIds = new[] { "SENT" } }, null));

        var data = await Google.SucceedsAsync("GMAIL_REPLY_TO_EMAIL", new { message_id = "m7", body = "Thanks, looks good.", reply_all = true });
        Assert.Equal("m8", data.GetProperty("messageId").GetString());
        Assert.Equal("t7", data.GetProperty("threadId").GetString());

        var read = Google.Received("GET", "/gmail/v1/users/me/messages/m7");
        Assert.Equal(["metadata"], read.QueryValues["format"]);
        Assert.Contains("Message-ID", read.QueryValues["metadataHeaders"]);
        var sent = Google.Received("POST", "/gmail/v1/users/me/messages/send");
        Assert.StartsWith("Bearer ya29.", sent.Headers["Authorization"]);
        Assert.Equal("t7", sent.Json!["threadId"]!.GetValue<string>());
        var reply = MimeMessage.Load(new MemoryStream(WebEncoders.Base64UrlDecode(sent.Json!["raw"]!.GetValue<string>())));
        Assert.Equal("Re: Quarterly report", reply.Subject);
        Assert.Equal("CAF=orig@mail.gmail.com", reply.InReplyTo);
        Assert.Equal(["CAF=first@mail.gmail.com", "CAF=orig@mail.gmail.com"], reply.References);
        Assert.Equal(["ann@example.com", "me@example.com", "carl@example.com"], reply.To.Mailboxes.Select(m => m.Address));
        Assert.Equal(["dora@example.com"], reply.Cc.Mailboxes.Select(m => m.Address));
        Assert.Equal("Thanks, looks good.", reply.TextBody?.Trim());
    }

    [Fact]
    public async Task Gmail_reply_to_a_message_that_is_gone_is_googles_404_and_sends_nothing()
    {
        Api.On("GET", "/gmail/v1/users/me/messages/gone", _ => (404, GoogleError(404, "Requested entity was not found.", "NOT_FOUND", "notFound"), null));
        var before = Api.Requests.Count(r => r.Method == "POST");
        await Google.FailsAsync("GMAIL_REPLY_TO_EMAIL", new { message_id = "gone", body = "Hi" }, "upstream_error", 404);
        Assert.Equal(before, Api.Requests.Count(r => r.Method == "POST"));
    }

    [Fact]
    public async Task Gmail_drafts_are_created_as_a_raw_message_in_a_thread_listed_and_sent_by_id()
    {
        Api.On("POST", "/gmail/v1/users/me/drafts", _ => (200, new { id = "r-123", message = new { id = "m9", threadId = "t7", labelIds = new[] { "DRAFT" } } }, null));
        Api.On("GET", "/gmail/v1/users/me/drafts", _ => (200, new { drafts = new[] { new { id = "r-123", message = new { id = "m9", threadId = "t7" } } }, resultSizeEstimate = 1 }, null));
        Api.On("POST", "/gmail/v1/users/me/drafts/send", r => r.Json!["id"]!.GetValue<string>() == "r-123"
            ? (200, new { id = "m9", threadId = "t7", labelIds = new[] { "SENT" } }, null)
            : (404, GoogleError(404, "Requested entity was not found.", "NOT_FOUND", "notFound"), null));

        var draft = await Google.SucceedsAsync("GMAIL_CREATE_DRAFT", new { to = "ann@example.com", subject = "Draft", body = "Later", thread_id = "t7" });
        Assert.Equal("r-123", draft.GetProperty("id").GetString());
        var created = Google.Received("POST", "/gmail/v1/users/me/drafts").Json!;
        Assert.Equal("t7", created["message"]!["threadId"]!.GetValue<string>());
        var message = MimeMessage.Load(new MemoryStream(WebEncoders.Base64UrlDecode(created["message"]!["raw"]!.GetValue<string>())));
        Assert.Equal("ann@example.com", message.To.Mailboxes.Single().Address);
        Assert.Equal("Draft", message.Subject);

        var drafts = await Google.SucceedsAsync("GMAIL_LIST_DRAFTS", new { maxResults = 20 });
        Assert.Equal("r-123", drafts.GetProperty("drafts")[0].GetProperty("id").GetString());
        Assert.Equal(["20"], Google.Received("GET", "/gmail/v1/users/me/drafts").QueryValues["maxResults"]);

        var sent = await Google.SucceedsAsync("GMAIL_SEND_DRAFT", new { draft_id = "r-123" });
        Assert.Equal("SENT", sent.GetProperty("labelIds")[0].GetString());
        Assert.True(Same("""{"id":"r-123"}""", Google.Received("POST", "/gmail/v1/users/me/drafts/send").Json));
        await Google.FailsAsync("GMAIL_SEND_DRAFT", new { draft_id = "r-gone" }, "upstream_error", 404);
    }

    // ---- the scope check ----

    [Fact]
    public async Task A_tool_whose_scope_the_connection_lacks_is_refused_before_any_call_with_the_scope_and_a_reconnect_link_that_grants_it()
    {
        using var admin = Google.Portal.Http(Google.App.ApiKey);
        string[] defaults = ["openid", "email", Scope + "gmail.send", Scope + "gmail.readonly"];
        await JsonAssert.OkAsync(await admin.PostAsync($"{Google.Base}/configure", JsonAssert.Body(new { toolkit = "gmail", scopes = defaults })));
        string bob;
        try { bob = await Google.ConnectAsync("gmail", "bob"); }
        finally
        {
            await JsonAssert.OkAsync(await admin.PostAsync($"{Google.Base}/configure", JsonAssert.Body(new { toolkit = "gmail", scopes = GoogleToolkitsFixture.AllToolScopes("gmail") })));
        }
        Api.On("POST", "/gmail/v1/users/me/labels", _ => (200, new { id = "Label_40", name = "Invoices", type = "user" }, null));
        var before = Api.Requests.Count;

        var refused = await JsonAssert.ErrorAsync(await Google.PostExecuteAsync("GMAIL_CREATE_LABEL", new { name = "Invoices" }, "bob"), HttpStatusCode.Forbidden, "insufficient_scope");
        Assert.Contains(Scope + "gmail.labels", refused.GetProperty("message").GetString());
        Assert.Equal([Scope + "gmail.labels"], refused.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("message").GetString()));
        Assert.Equal(before, Api.Requests.Count); // Gmail was not called
        // A tool whose scope bob was granted still runs.
        Api.On("GET", "/gmail/v1/users/me/labels", _ => (200, new { labels = Array.Empty<object>() }, null));
        await Google.SucceedsAsync("GMAIL_LIST_LABELS", null, "bob");

        // The link asks the provider for the app's scopes plus the missing one, and renews bob's connection.
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        Google.OAuth.NextAccount("bob@example.com"); // the same account consents again
        var toProvider = (await browser.GetAsync(refused.GetProperty("reconnect_url").GetString())).Headers.Location!;
        var asked = QueryHelpers.ParseQuery(toProvider.Query)["scope"].ToString().Split(' ');
        Assert.Contains(Scope + "gmail.labels", asked);
        Assert.Contains(Scope + "gmail.send", asked);
        var toCallback = (await browser.GetAsync(toProvider)).Headers.Location!;
        var done = QueryHelpers.ParseQuery((await browser.GetAsync(toCallback)).Headers.Location!.Query);
        Assert.Equal("connected", done["status"].ToString());
        Assert.Equal(bob, done["connectionId"].ToString());

        var created = await Google.SucceedsAsync("GMAIL_CREATE_LABEL", new { name = "Invoices" }, "bob");
        Assert.Equal("Label_40", created.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Googles_own_insufficient_permissions_answer_names_the_tools_scope_and_a_reconnect_link()
    {
        Api.On("POST", "/gmail/v1/users/me/messages/m1/trash", _ => (403, Json(InsufficientScope), null));
        var failed = await Google.FailsAsync("GMAIL_TRASH_MESSAGE", new { message_id = "m1" }, "insufficient_scope", 403);
        var error = failed.GetProperty("error");
        Assert.Equal([Scope + "gmail.modify"], error.GetProperty("missingScopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains("/connect/start?t=", error.GetProperty("reconnectUrl").GetString());
    }

    // ---- Calendar ----

    [Fact]
    public async Task Calendar_get_event_instances_and_calendar_list_are_gets_on_googles_paths()
    {
        Api.On("GET", "/calendar/v3/calendars/primary/events/ev1", _ => (200, new { id = "ev1", status = "confirmed", summary = "Standup", start = new { dateTime = "2025-06-02T09:00:00+02:00" } }, null));
        Api.On("GET", "/calendar/v3/calendars/primary/events/ev1/instances", _ => (200, new { items = new[] { new { id = "ev1_20250602T070000Z", recurringEventId = "ev1" } } }, null));
        Api.On("GET", "/calendar/v3/users/me/calendarList", _ => (200, new { items = new[] { new { id = "team@group.calendar.google.com", summary = "Team", accessRole = "writer" } } }, null));

        var ev = await Google.SucceedsAsync("GOOGLECALENDAR_GET_EVENT", new { calendarId = "primary", eventId = "ev1", timeZone = "Europe/Paris" });
        Assert.Equal("Standup", ev.GetProperty("summary").GetString());
        Assert.Equal(["Europe/Paris"], Google.Received("GET", "/calendar/v3/calendars/primary/events/ev1").QueryValues["timeZone"]);

        var instances = await Google.SucceedsAsync("GOOGLECALENDAR_LIST_EVENT_INSTANCES", new { calendarId = "primary", eventId = "ev1", timeMin = "2025-06-01T00:00:00Z", maxResults = 5 });
        Assert.Equal("ev1", instances.GetProperty("items")[0].GetProperty("recurringEventId").GetString());
        Assert.Equal(["2025-06-01T00:00:00Z"], Google.Received("GET", "/calendar/v3/calendars/primary/events/ev1/instances").QueryValues["timeMin"]);

        var calendars = await Google.SucceedsAsync("GOOGLECALENDAR_LIST_CALENDARS", new { minAccessRole = "writer" });
        Assert.Equal("Team", calendars.GetProperty("items")[0].GetProperty("summary").GetString());
        Assert.Equal(["writer"], Google.Received("GET", "/calendar/v3/users/me/calendarList").QueryValues["minAccessRole"]);
    }

    [Fact]
    public async Task Calendar_quick_add_and_move_send_their_words_and_destination_in_the_query()
    {
        Api.On("POST", "/calendar/v3/calendars/primary/events/quickAdd", r => (200, new { id = "ev9", summary = "Lunch with Ada", htmlLink = "https://www.google.com/calendar/event?eid=ZXY5" }, null));
        Api.On("POST", "/calendar/v3/calendars/primary/events/ev9/move", r => r.QueryValues.ContainsKey("destination")
            ? (200, new { id = "ev9", organizer = new { email = "team@group.calendar.google.com" } }, null)
            : (400, GoogleError(400, "Required parameter: destination", "INVALID_ARGUMENT", "required"), null));

        var added = await Google.SucceedsAsync("GOOGLECALENDAR_QUICK_ADD_EVENT", new { calendarId = "primary", text = "Lunch with Ada tomorrow 12:30", sendUpdates = "none" });
        Assert.Equal("ev9", added.GetProperty("id").GetString());
        var quick = Google.Received("POST", "/calendar/v3/calendars/primary/events/quickAdd");
        Assert.Equal(["Lunch with Ada tomorrow 12:30"], quick.QueryValues["text"]);
        Assert.Equal("", quick.Body);

        var moved = await Google.SucceedsAsync("GOOGLECALENDAR_MOVE_EVENT", new { calendarId = "primary", eventId = "ev9", destination = "team@group.calendar.google.com" });
        Assert.Equal("team@group.calendar.google.com", moved.GetProperty("organizer").GetProperty("email").GetString());
        Assert.Equal(["team@group.calendar.google.com"], Google.Received("POST", "/calendar/v3/calendars/primary/events/ev9/move").QueryValues["destination"]);
    }

    [Fact]
    public async Task Calendar_free_busy_posts_the_window_and_calendars_and_create_calendar_posts_its_summary()
    {
        Api.On("POST", "/calendar/v3/freeBusy", _ => (200, JsonNode.Parse("""
            {"kind":"calendar#freeBusy","timeMin":"2025-06-02T08:00:00.000Z","timeMax":"2025-06-02T18:00:00.000Z",
             "calendars":{"primary":{"busy":[{"start":"2025-06-02T09:00:00Z","end":"2025-06-02T10:00:00Z"}]},"ada@example.com":{"errors":[{"domain":"global","reason":"notFound"}],"busy":[]}}}
            """), null));
        Api.On("POST", "/calendar/v3/calendars", r => (200, new { id = "c_abc@group.calendar.google.com", summary = r.Json!["summary"]!.GetValue<string>(), timeZone = "Europe/Paris" }, null));

        var busy = await Google.SucceedsAsync("GOOGLECALENDAR_FIND_FREE_BUSY", new
        {
            timeMin = "2025-06-02T08:00:00Z", timeMax = "2025-06-02T18:00:00Z", items = new[] { new { id = "primary" }, new { id = "ada@example.com" } },
        });
        Assert.Equal("2025-06-02T09:00:00Z", busy.GetProperty("calendars").GetProperty("primary").GetProperty("busy")[0].GetProperty("start").GetString());
        Assert.True(Same("""{"timeMin":"2025-06-02T08:00:00Z","timeMax":"2025-06-02T18:00:00Z","items":[{"id":"primary"},{"id":"ada@example.com"}]}""",
            Google.Received("POST", "/calendar/v3/freeBusy").Json));

        var calendar = await Google.SucceedsAsync("GOOGLECALENDAR_CREATE_CALENDAR", new { summary = "Project Apollo", timeZone = "Europe/Paris" });
        Assert.Equal("c_abc@group.calendar.google.com", calendar.GetProperty("id").GetString());
        Assert.True(Same("""{"summary":"Project Apollo","timeZone":"Europe/Paris"}""", Google.Received("POST", "/calendar/v3/calendars").Json));
    }

    // ---- Sheets ----

    [Fact]
    public async Task Sheets_get_spreadsheet_and_batch_get_read_with_repeated_ranges()
    {
        Api.On("GET", "/v4/spreadsheets/s1", _ => (200, JsonNode.Parse("""
            {"spreadsheetId":"s1","properties":{"title":"Budget","locale":"en_US","timeZone":"Europe/Paris"},
             "sheets":[{"properties":{"sheetId":0,"title":"Sheet1","index":0,"gridProperties":{"rowCount":1000,"columnCount":26}}}],"spreadsheetUrl":"https://docs.google.com/spreadsheets/d/s1/edit"}
            """), null));
        Api.On("GET", "/v4/spreadsheets/s1/values:batchGet", _ => (200, JsonNode.Parse("""
            {"spreadsheetId":"s1","valueRanges":[{"range":"Sheet1!A1:B2","majorDimension":"ROWS","values":[["Name","Score"],["Ada","42"]]},{"range":"Totals!A1","majorDimension":"ROWS","values":[["42"]]}]}
            """), null));

        var sheet = await Google.SucceedsAsync("GOOGLESHEETS_GET_SPREADSHEET", new { spreadsheetId = "s1" });
        Assert.Equal("Sheet1", sheet.GetProperty("sheets")[0].GetProperty("properties").GetProperty("title").GetString());
        Assert.StartsWith("Bearer ya29.", Google.Received("GET", "/v4/spreadsheets/s1").Headers["Authorization"]);

        var values = await Google.SucceedsAsync("GOOGLESHEETS_BATCH_GET_VALUES", new { spreadsheetId = "s1", ranges = new[] { "Sheet1!A1:B2", "Totals!A1" }, valueRenderOption = "UNFORMATTED_VALUE" });
        Assert.Equal("Ada", values.GetProperty("valueRanges")[0].GetProperty("values")[1][0].GetString());
        var query = Google.Received("GET", "/v4/spreadsheets/s1/values:batchGet").QueryValues;
        Assert.Equal(["Sheet1!A1:B2", "Totals!A1"], query["ranges"]);
        Assert.Equal(["UNFORMATTED_VALUE"], query["valueRenderOption"]);
    }

    [Fact]
    public async Task Sheets_batch_update_values_and_clear_post_googles_shapes()
    {
        Api.On("POST", "/v4/spreadsheets/s1/values:batchUpdate", _ => (200, new { spreadsheetId = "s1", totalUpdatedCells = 3, totalUpdatedRows = 2 }, null));
        Api.On("POST", "/v4/spreadsheets/s1/values/Sheet1!A2:D:clear", _ => (200, new { spreadsheetId = "s1", clearedRange = "Sheet1!A2:D1000" }, null));

        var updated = await Google.SucceedsAsync("GOOGLESHEETS_BATCH_UPDATE_VALUES", new
        {
            spreadsheetId = "s1", valueInputOption = "USER_ENTERED",
            data = new object[] { new { range = "Sheet1!A1", values = new[] { new object[] { "Ada", 42 } } }, new { range = "Totals!A1", values = new[] { new object[] { "=SUM(Sheet1!B:B)" } } } },
        });
        Assert.Equal(3, updated.GetProperty("totalUpdatedCells").GetInt32());
        Assert.True(Same("""{"valueInputOption":"USER_ENTERED","data":[{"range":"Sheet1!A1","values":[["Ada",42]]},{"range":"Totals!A1","values":[["=SUM(Sheet1!B:B)"]]}]}""",
            Google.Received("POST", "/v4/spreadsheets/s1/values:batchUpdate").Json));

        var cleared = await Google.SucceedsAsync("GOOGLESHEETS_CLEAR_VALUES", new { spreadsheetId = "s1", range = "Sheet1!A2:D" });
        Assert.Equal("Sheet1!A2:D1000", cleared.GetProperty("clearedRange").GetString());
    }

    [Fact]
    public async Task Sheets_add_and_delete_sheet_are_batch_update_requests_and_add_answers_the_new_sheet()
    {
        Api.On("POST", "/v4/spreadsheets/s1:batchUpdate", r => r.Json!["requests"]![0]!["addSheet"] is not null
            ? (200, JsonNode.Parse("""{"spreadsheetId":"s1","replies":[{"addSheet":{"properties":{"sheetId":1534,"title":"Q3","index":1,"gridProperties":{"rowCount":100,"columnCount":26}}}}]}"""), null)
            : r.Json!["requests"]![0]!["deleteSheet"]?["sheetId"]?.GetValue<int>() == 999
                ? (400, GoogleError(400, "Invalid requests[0].deleteSheet: No grid with id: 999", "INVALID_ARGUMENT", "badRequest"), null)
                : (200, JsonNode.Parse("""{"spreadsheetId":"s1","replies":[{}]}"""), null));

        var added = await Google.SucceedsAsync("GOOGLESHEETS_ADD_SHEET", new { spreadsheetId = "s1", title = "Q3", index = 1, rowCount = 100 });
        Assert.Equal(1534, added.GetProperty("sheetId").GetInt32());
        Assert.True(Same("""{"requests":[{"addSheet":{"properties":{"title":"Q3","index":1,"gridProperties":{"rowCount":100}}}}]}""", Google.Received("POST", "/v4/spreadsheets/s1:batchUpdate").Json));

        await Google.SucceedsAsync("GOOGLESHEETS_DELETE_SHEET", new { spreadsheetId = "s1", sheetId = 1534 });
        Assert.True(Same("""{"requests":[{"deleteSheet":{"sheetId":1534}}]}""", Google.Received("POST", "/v4/spreadsheets/s1:batchUpdate").Json));
        await Google.FailsAsync("GOOGLESHEETS_DELETE_SHEET", new { spreadsheetId = "s1", sheetId = 999 }, "upstream_error", 400);

        await Google.SucceedsAsync("GOOGLESHEETS_BATCH_UPDATE", new { spreadsheetId = "s1", requests = """[{"updateSheetProperties":{"properties":{"sheetId":0,"title":"Main"},"fields":"title"}}]""" });
        Assert.True(Same("""{"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"title":"Main"},"fields":"title"}}]}""", Google.Received("POST", "/v4/spreadsheets/s1:batchUpdate").Json));
    }

    // ---- Drive ----

    [Fact]
    public async Task Drive_get_file_folder_update_and_copy_send_fields_parents_and_all_drives()
    {
        Api.On("GET", "/drive/v3/files/f1", _ => (200, new { id = "f1", name = "plan.txt", mimeType = "text/plain", parents = new[] { "root1" } }, null));
        Api.On("POST", "/drive/v3/files", r => (200, new { id = "d1", name = r.Json!["name"]!.GetValue<string>(), mimeType = r.Json!["mimeType"]!.GetValue<string>(), parents = new[] { "root1" } }, null));
        Api.On("PATCH", "/drive/v3/files/f1", _ => (200, new { id = "f1", name = "plan-v2.txt", parents = new[] { "d1" } }, null));
        Api.On("POST", "/drive/v3/files/f1/copy", _ => (200, new { id = "f2", name = "plan copy.txt", parents = new[] { "d1" } }, null));

        var file = await Google.SucceedsAsync("GOOGLEDRIVE_GET_FILE", new { fileId = "f1", fields = "id,name,parents" });
        Assert.Equal("plan.txt", file.GetProperty("name").GetString());
        var get = Google.Received("GET", "/drive/v3/files/f1").QueryValues;
        Assert.Equal(["id,name,parents"], get["fields"]);
        Assert.Equal(["true"], get["supportsAllDrives"]);

        var folder = await Google.SucceedsAsync("GOOGLEDRIVE_CREATE_FOLDER", new { name = "Reports", parentId = "root1" });
        Assert.Equal("application/vnd.google-apps.folder", folder.GetProperty("mimeType").GetString());
        var create = Google.Received("POST", "/drive/v3/files");
        Assert.True(Same("""{"name":"Reports","mimeType":"application/vnd.google-apps.folder","parents":["root1"]}""", create.Json), create.Body);
        Assert.Contains("webViewLink", create.QueryValues["fields"][0]);

        var moved = await Google.SucceedsAsync("GOOGLEDRIVE_UPDATE_FILE", new { fileId = "f1", name = "plan-v2.txt", addParents = "d1", removeParents = "root1" });
        Assert.Equal("d1", moved.GetProperty("parents")[0].GetString());
        var patch = Google.Received("PATCH", "/drive/v3/files/f1");
        Assert.Equal(["d1"], patch.QueryValues["addParents"]);
        Assert.Equal(["root1"], patch.QueryValues["removeParents"]);
        Assert.True(Same("""{"name":"plan-v2.txt"}""", patch.Json));

        var copy = await Google.SucceedsAsync("GOOGLEDRIVE_COPY_FILE", new { fileId = "f1", name = "plan copy.txt", parents = new[] { "d1" } });
        Assert.Equal("f2", copy.GetProperty("id").GetString());
        Assert.True(Same("""{"name":"plan copy.txt","parents":["d1"]}""", Google.Received("POST", "/drive/v3/files/f1/copy").Json));
    }

    [Fact]
    public async Task Drive_share_permissions_delete_and_about()
    {
        Api.On("POST", "/drive/v3/files/f1/permissions", r => r.Json!["type"]!.GetValue<string>() == "user" && r.Json!["emailAddress"] is null
            ? (400, GoogleError(400, "The permission type field is required.", "INVALID_ARGUMENT", "required"), null)
            : (200, new { id = "perm9", type = "user", role = "writer", emailAddress = "ann@example.com" }, null));
        Api.On("GET", "/drive/v3/files/f1/permissions", _ => (200, new { permissions = new[] { new { id = "perm9", type = "user", role = "writer", emailAddress = "ann@example.com" } } }, null));
        Api.On("DELETE", "/drive/v3/files/f1", _ => (204, null, null));
        Api.On("GET", "/drive/v3/about", _ => (200, new { user = new { displayName = "Ada", emailAddress = "ada@example.com" }, storageQuota = new { limit = "16106127360", usage = "1024" } }, null));

        var shared = await Google.SucceedsAsync("GOOGLEDRIVE_SHARE_FILE", new { fileId = "f1", role = "writer", type = "user", emailAddress = "ann@example.com", sendNotificationEmail = false });
        Assert.Equal("perm9", shared.GetProperty("id").GetString());
        var share = Google.Received("POST", "/drive/v3/files/f1/permissions");
        Assert.True(Same("""{"role":"writer","type":"user","emailAddress":"ann@example.com"}""", share.Json));
        Assert.Equal(["false"], share.QueryValues["sendNotificationEmail"]);
        await Google.FailsAsync("GOOGLEDRIVE_SHARE_FILE", new { fileId = "f1", role = "reader", type = "user" }, "upstream_error", 400);

        var permissions = await Google.SucceedsAsync("GOOGLEDRIVE_LIST_PERMISSIONS", new { fileId = "f1" });
        Assert.Equal("ann@example.com", permissions.GetProperty("permissions")[0].GetProperty("emailAddress").GetString());

        var deleted = await JsonAssert.OkAsync(await Google.PostExecuteAsync("GOOGLEDRIVE_DELETE_FILE", new { fileId = "f1" }));
        Assert.True(deleted.GetProperty("successful").GetBoolean());
        Assert.Equal(["true"], Google.Received("DELETE", "/drive/v3/files/f1").QueryValues["supportsAllDrives"]);

        var about = await Google.SucceedsAsync("GOOGLEDRIVE_GET_ABOUT", null);
        Assert.Equal("1024", about.GetProperty("storageQuota").GetProperty("usage").GetString());
        Assert.Equal(["user,storageQuota"], Google.Received("GET", "/drive/v3/about").QueryValues["fields"]);
    }
}
