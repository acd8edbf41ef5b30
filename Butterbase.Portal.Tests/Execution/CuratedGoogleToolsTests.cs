using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using MimeKit;

namespace Butterbase.Portal.Tests.Execution;

public sealed class GoogleToolkitsFixture() : CuratedToolsFixture(FakeProviderStyle.Google, new Dictionary<string, string>
{
    // gmail.googleapis.com, www.googleapis.com (Calendar, Drive) and sheets.googleapis.com: the paths do not overlap.
    ["gmail"] = "",
    ["google-calendar"] = "",
    ["google-sheets"] = "",
    ["google-drive"] = "",
});

/// <summary>
/// Gmail, Google Calendar, Sheets and Drive tools through `POST /execute`, against a fake that answers on Google's
/// real paths with Google's shapes (https://developers.google.com/gmail/api/reference/rest,
/// https://developers.google.com/calendar/api/v3/reference, https://developers.google.com/sheets/api/reference/rest,
/// https://developers.google.com/workspace/drive/api/reference/rest/v3).
/// </summary>
public sealed partial class CuratedGoogleToolsTests(GoogleToolkitsFixture google) : IClassFixture<GoogleToolkitsFixture>
{
    private FakeProviderApi Api => google.Api;
    private GoogleToolkitsFixture Google => google;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    /// <summary>Google's answer to a token without the scope the method needs (https://cloud.google.com/apis/design/errors).</summary>
    private static readonly string InsufficientScope = """
        {"error":{"code":403,"message":"Request had insufficient authentication scopes.",
          "errors":[{"message":"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}],
          "status":"PERMISSION_DENIED",
          "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com",
            "metadata":{"service":"drive.googleapis.com","method":"google.apps.drive.v3.DriveFiles.Create"}}]}}
        """;

    // ---- Gmail ----

    [Fact]
    public async Task Gmail_send_posts_a_base64url_mime_message_with_html_and_bcc()
    {
        Api.On("POST", "/gmail/v1/users/me/messages/send", _ => (200, new { id = "18c1f0a2b3", threadId = "18c1f0a2b3", labelIds = new[] { "SENT" } }, null));
        var data = await google.SucceedsAsync("GMAIL_SEND_EMAIL", new
        {
            to = "Ann Example <ann@example.com>",
            subject = "Quarterly report",
            body = "<p>See <b>attached</b></p>",
            bcc = "audit@example.com",
            is_html = true,
        });
        Assert.Equal("18c1f0a2b3", data.GetProperty("messageId").GetString());
        Assert.Equal("SENT", data.GetProperty("labelIds")[0].GetString());

        var sent = google.Received("POST", "/gmail/v1/users/me/messages/send");
        Assert.StartsWith("Bearer ya29.", sent.Headers["Authorization"]);
        Assert.StartsWith("application/json", sent.Headers["Content-Type"]);
        Assert.Equal(["raw"], sent.Json!.AsObject().Select(p => p.Key));
        var rawBytes = WebEncoders.Base64UrlDecode(sent.Json!["raw"]!.GetValue<string>());
        Assert.DoesNotMatch("[^\r]\n", Encoding.ASCII.GetString(rawBytes)); // RFC 5322: CRLF line endings only
        var message = MimeMessage.Load(new MemoryStream(rawBytes));
        Assert.Equal("ann@example.com", message.To.Mailboxes.Single().Address);
        Assert.Equal("audit@example.com", message.Bcc.Mailboxes.Single().Address);
        Assert.Equal("<p>See <b>attached</b></p>", message.HtmlBody?.Trim());
    }

    [Fact]
    public async Task Gmail_list_get_and_labels_use_googles_query_names_and_repeat_list_values()
    {
        Api.On("GET", "/gmail/v1/users/me/messages", _ => (200, new { messages = new[] { new { id = "m1", threadId = "t1" } }, nextPageToken = "p2", resultSizeEstimate = 1 }, null));
        Api.On("GET", "/gmail/v1/users/me/messages/m1", _ => (200, new
        {
            id = "m1",
            threadId = "t1",
            snippet = "Hello",
            payload = new { headers = new[] { new { name = "From", value = "bob@example.com" }, new { name = "Subject", value = "Hi" } } },
        }, null));
        Api.On("GET", "/gmail/v1/users/me/labels", _ => (200, new { labels = new[] { new { id = "INBOX", name = "INBOX", type = "system" } } }, null));

        var listed = await google.SucceedsAsync("GMAIL_LIST_MESSAGES", new { q = "from:bob is:unread", maxResults = 5, labelIds = new[] { "INBOX", "UNREAD" }, includeSpamTrash = false });
        Assert.Equal("m1", listed.GetProperty("messages")[0].GetProperty("id").GetString());
        var list = google.Received("GET", "/gmail/v1/users/me/messages").QueryValues;
        Assert.Equal(["from:bob is:unread"], list["q"]);
        Assert.Equal(["5"], list["maxResults"]);
        Assert.Equal(["INBOX", "UNREAD"], list["labelIds"]);
        Assert.Equal(["false"], list["includeSpamTrash"]);
        Assert.False(list.ContainsKey("pageToken"));

        var message = await google.SucceedsAsync("GMAIL_GET_MESSAGE", new { message_id = "m1", format = "metadata", metadataHeaders = new[] { "From", "Subject" } });
        Assert.Equal("Hello", message.GetProperty("snippet").GetString());
        var get = google.Received("GET", "/gmail/v1/users/me/messages/m1").QueryValues;
        Assert.Equal(["metadata"], get["format"]);
        Assert.Equal(["From", "Subject"], get["metadataHeaders"]);

        var labels = await google.SucceedsAsync("GMAIL_LIST_LABELS", null);
        Assert.Equal("INBOX", labels.GetProperty("labels")[0].GetProperty("id").GetString());
    }

    // ---- Calendar ----

    [Fact]
    public async Task Calendar_events_list_defaults_to_primary_and_asks_for_single_events_by_start_time()
    {
        Api.On("GET", "/calendar/v3/calendars/primary/events", _ => (200, new
        {
            kind = "calendar#events",
            timeZone = "Europe/Berlin",
            nextPageToken = "np",
            items = new[] { new { id = "evt1", status = "confirmed", summary = "Standup", htmlLink = "https://www.google.com/calendar/event?eid=evt1", start = new { dateTime = "2025-06-02T09:00:00+02:00" }, end = new { dateTime = "2025-06-02T09:15:00+02:00" } } },
        }, null));
        var data = await google.SucceedsAsync("GOOGLECALENDAR_EVENTS_LIST", new { timeMin = "2025-06-01T00:00:00Z", timeMax = "2025-06-08T00:00:00Z", maxResults = 50 });
        Assert.Equal("Standup", data.GetProperty("items")[0].GetProperty("summary").GetString());
        var query = google.Received("GET", "/calendar/v3/calendars/primary/events").QueryValues;
        Assert.Equal(["2025-06-01T00:00:00Z"], query["timeMin"]);
        Assert.Equal(["2025-06-08T00:00:00Z"], query["timeMax"]);
        Assert.Equal(["50"], query["maxResults"]);
        Assert.Equal(["true"], query["singleEvents"]);
        Assert.Equal(["startTime"], query["orderBy"]);

        Api.On("GET", "/calendar/v3/calendars/team@group.calendar.google.com/events", _ => (200, new { items = Array.Empty<object>() }, null));
        await google.SucceedsAsync("GOOGLECALENDAR_EVENTS_LIST", new { timeMin = "2025-06-01T00:00:00Z", calendarId = "team@group.calendar.google.com" });
        google.Received("GET", "/calendar/v3/calendars/team@group.calendar.google.com/events");
    }

    [Fact]
    public async Task Calendar_create_event_sends_the_event_resource_with_start_end_time_zone_and_attendees()
    {
        Api.On("POST", "/calendar/v3/calendars/primary/events", r => (200, Json($$"""
            {"kind":"calendar#event","id":"evt42","status":"confirmed","htmlLink":"https://www.google.com/calendar/event?eid=evt42",
             "summary":{{r.Json!["summary"]!.ToJsonString()}},"start":{{r.Json!["start"]!.ToJsonString()}},"end":{{r.Json!["end"]!.ToJsonString()}},
             "attendees":[{"email":"bob@example.com","responseStatus":"needsAction"}]}
            """), null));
        var data = await google.SucceedsAsync("GOOGLECALENDAR_CREATE_EVENT", new
        {
            summary = "Design review",
            description = "Agenda: API",
            location = "Room 4",
            startDateTime = "2025-06-03T14:00:00+02:00",
            endDateTime = "2025-06-03T15:00:00+02:00",
            timeZone = "Europe/Berlin",
            attendees = new[] { "bob@example.com", "cy@example.com" },
            sendUpdates = "all",
        });
        Assert.Equal("evt42", data.GetProperty("id").GetString());
        Assert.Equal("https://www.google.com/calendar/event?eid=evt42", data.GetProperty("htmlLink").GetString());

        var sent = google.Received("POST", "/calendar/v3/calendars/primary/events");
        Assert.Equal(["all"], sent.QueryValues["sendUpdates"]);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"summary":"Design review","description":"Agenda: API","location":"Room 4",
             "start":{"dateTime":"2025-06-03T14:00:00+02:00","timeZone":"Europe/Berlin"},
             "end":{"dateTime":"2025-06-03T15:00:00+02:00","timeZone":"Europe/Berlin"},
             "attendees":[{"email":"bob@example.com"},{"email":"cy@example.com"}]}
            """), sent.Json), sent.Body);
    }

    [Fact]
    public async Task Calendar_create_event_all_day_uses_dates_and_a_missing_end_is_refused_before_google()
    {
        // All-day events take {date} (the end date is exclusive).
        Api.On("POST", "/calendar/v3/calendars/team@group.calendar.google.com/events", r => (200, Json("""{"id":"evt43","status":"confirmed"}"""), null));
        await google.SucceedsAsync("GOOGLECALENDAR_CREATE_EVENT", new { summary = "Offsite", startDate = "2025-06-10", endDate = "2025-06-12", calendarId = "team@group.calendar.google.com" });
        var sent = google.Received("POST", "/calendar/v3/calendars/team@group.calendar.google.com/events").Json!;
        Assert.True(JsonNode.DeepEquals(Json("""{"summary":"Offsite","start":{"date":"2025-06-10"},"end":{"date":"2025-06-12"}}"""), sent), sent.ToJsonString());

        var before = Api.Requests.Count;
        var invalid = await JsonAssert.ErrorAsync(await google.PostExecuteAsync("GOOGLECALENDAR_CREATE_EVENT", new { summary = "x", startDateTime = "2025-06-03T14:00:00Z" }),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal("endDateTime", invalid.GetProperty("details")[0].GetProperty("field").GetString());
        await JsonAssert.ErrorAsync(await google.PostExecuteAsync("GOOGLECALENDAR_CREATE_EVENT", new { summary = "x", startDate = "2025-06-03", endDateTime = "2025-06-03T14:00:00Z" }),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task Calendar_update_event_patches_only_the_given_fields_and_a_missing_event_is_googles_404()
    {
        Api.On("PATCH", "/calendar/v3/calendars/primary/events/evt42", _ => (200, Json("""{"id":"evt42","status":"confirmed","summary":"Design review (moved)"}"""), null));
        var data = await google.SucceedsAsync("GOOGLECALENDAR_UPDATE_EVENT", new
        {
            eventId = "evt42",
            summary = "Design review (moved)",
            startDateTime = "2025-06-04T10:00:00Z",
            endDateTime = "2025-06-04T11:00:00Z",
            sendUpdates = "externalOnly",
        });
        Assert.Equal("Design review (moved)", data.GetProperty("summary").GetString());
        var sent = google.Received("PATCH", "/calendar/v3/calendars/primary/events/evt42");
        Assert.Equal(["externalOnly"], sent.QueryValues["sendUpdates"]);
        // Patch semantics: nothing but the changed fields; `date: null` clears an all-day date the event may have had.
        Assert.True(JsonNode.DeepEquals(Json("""
            {"summary":"Design review (moved)","start":{"dateTime":"2025-06-04T10:00:00Z","date":null},"end":{"dateTime":"2025-06-04T11:00:00Z","date":null}}
            """), sent.Json), sent.Body);

        Api.On("PATCH", "/calendar/v3/calendars/primary/events/gone", _ => (404, Json("""
            {"error":{"errors":[{"domain":"global","reason":"notFound","message":"Not Found"}],"code":404,"message":"Not Found"}}
            """), null));
        var failed = await google.FailsAsync("GOOGLECALENDAR_UPDATE_EVENT", new { eventId = "gone", location = "Room 5" }, "upstream_error", 404);
        Assert.Equal("notFound", failed.GetProperty("data").GetProperty("error").GetProperty("errors")[0].GetProperty("reason").GetString());
        Assert.False(failed.GetProperty("error").GetProperty("retryable").GetBoolean());
    }

    [Fact]
    public async Task Calendar_delete_event_is_a_declarative_delete_with_no_content()
    {
        Api.On("DELETE", "/calendar/v3/calendars/primary/events/evt42", _ => (204, null, null));
        var result = await JsonAssert.OkAsync(await google.PostExecuteAsync("GOOGLECALENDAR_DELETE_EVENT", new { calendarId = "primary", eventId = "evt42", sendUpdates = "none" }));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("data").ValueKind);
        Assert.Equal(["none"], google.Received("DELETE", "/calendar/v3/calendars/primary/events/evt42").QueryValues["sendUpdates"]);
    }

    // ---- Sheets ----

    [Fact]
    public async Task Sheets_get_update_append_and_create_use_a1_ranges_in_the_path_and_values_in_the_body()
    {
        const string sheet = "/v4/spreadsheets/1BxiMVs0XRA5nFMd";
        Api.On("GET", sheet + "/values/Sheet1!A1:C2", _ => (200, Json("""{"range":"Sheet1!A1:C2","majorDimension":"ROWS","values":[["Name","Score"],["Ada","42"]]}"""), null));
        Api.On("PUT", sheet + "/values/Sheet1!A1:B2", _ => (200, Json("""{"spreadsheetId":"1BxiMVs0XRA5nFMd","updatedRange":"Sheet1!A1:B2","updatedRows":2,"updatedColumns":2,"updatedCells":4}"""), null));
        Api.On("POST", sheet + "/values/Sheet1!A1:append", _ => (200, Json("""{"spreadsheetId":"1BxiMVs0XRA5nFMd","tableRange":"Sheet1!A1:B2","updates":{"updatedRange":"Sheet1!A3:B3","updatedRows":1}}"""), null));
        Api.On("POST", "/v4/spreadsheets", r => (200, new { spreadsheetId = "new1", properties = r.Json!["properties"], spreadsheetUrl = "https://docs.google.com/spreadsheets/d/new1/edit" }, null));

        var got = await google.SucceedsAsync("GOOGLESHEETS_GET_VALUES", new { spreadsheetId = "1BxiMVs0XRA5nFMd", range = "Sheet1!A1:C2", valueRenderOption = "UNFORMATTED_VALUE" });
        Assert.Equal("Ada", got.GetProperty("values")[1][0].GetString());
        Assert.Equal(["UNFORMATTED_VALUE"], google.Received("GET", sheet + "/values/Sheet1!A1:C2").QueryValues["valueRenderOption"]);

        var updated = await google.SucceedsAsync("GOOGLESHEETS_UPDATE_VALUES", new { spreadsheetId = "1BxiMVs0XRA5nFMd", range = "Sheet1!A1:B2", valueInputOption = "USER_ENTERED", values = new object[][] { ["Name", "Score"], ["Ada", 42] } });
        Assert.Equal(4, updated.GetProperty("updatedCells").GetInt32());
        var put = google.Received("PUT", sheet + "/values/Sheet1!A1:B2");
        Assert.Equal(["USER_ENTERED"], put.QueryValues["valueInputOption"]);
        Assert.True(JsonNode.DeepEquals(Json("""{"values":[["Name","Score"],["Ada",42]]}"""), put.Json), put.Body);

        await google.SucceedsAsync("GOOGLESHEETS_APPEND_VALUES", new { spreadsheetId = "1BxiMVs0XRA5nFMd", range = "Sheet1!A1", valueInputOption = "RAW", values = new[] { new[] { "Bo", "7" } }, insertDataOption = "INSERT_ROWS" });
        var append = google.Received("POST", sheet + "/values/Sheet1!A1:append");
        Assert.Equal(["RAW"], append.QueryValues["valueInputOption"]);
        Assert.Equal(["INSERT_ROWS"], append.QueryValues["insertDataOption"]);
        Assert.Equal("Bo", append.Json!["values"]![0]![0]!.GetValue<string>());

        var created = await google.SucceedsAsync("GOOGLESHEETS_CREATE_SPREADSHEET", new { properties = new { title = "Budget 2025", locale = "en_US" } });
        Assert.Equal("new1", created.GetProperty("spreadsheetId").GetString());
        Assert.Equal("Budget 2025", google.Received("POST", "/v4/spreadsheets").Json!["properties"]!["title"]!.GetValue<string>());
    }

    // ---- Drive ----

    [Fact]
    public async Task Drive_list_files_passes_drives_query_language_and_partial_response_fields()
    {
        Api.On("GET", "/drive/v3/files", _ => (200, Json("""{"files":[{"id":"f1","name":"report.pdf","mimeType":"application/pdf"}],"nextPageToken":"n2"}"""), null));
        var data = await google.SucceedsAsync("GOOGLEDRIVE_LIST_FILES", new { q = "name contains 'report' and trashed = false", pageSize = 10, fields = "nextPageToken, files(id, name, mimeType)", supportsAllDrives = true });
        Assert.Equal("report.pdf", data.GetProperty("files")[0].GetProperty("name").GetString());
        var query = google.Received("GET", "/drive/v3/files").QueryValues;
        Assert.Equal(["name contains 'report' and trashed = false"], query["q"]);
        Assert.Equal(["10"], query["pageSize"]);
        Assert.Equal(["nextPageToken, files(id, name, mimeType)"], query["fields"]);
        Assert.Equal(["true"], query["supportsAllDrives"]);
    }

    [Fact]
    public async Task Drive_upload_sends_multipart_related_metadata_then_text_media()
    {
        Api.On("POST", "/upload/drive/v3/files", r => (200, Json("""
            {"id":"1Zx","name":"notes.txt","mimeType":"text/plain","webViewLink":"https://drive.google.com/file/d/1Zx/view","size":"17","modifiedTime":"2025-06-01T10:00:00.000Z"}
            """), null));
        var data = await google.SucceedsAsync("GOOGLEDRIVE_UPLOAD_FILE", new { name = "notes.txt", content = "Grüße aus Köln\n" });
        Assert.Equal("1Zx", data.GetProperty("id").GetString());
        Assert.Equal("https://drive.google.com/file/d/1Zx/view", data.GetProperty("webViewLink").GetString());

        var sent = google.Received("POST", "/upload/drive/v3/files");
        Assert.Equal(["multipart"], sent.QueryValues["uploadType"]);
        Assert.Contains("webViewLink", sent.QueryValues["fields"][0]);
        var parts = await PartsAsync(sent);
        Assert.Equal(2, parts.Count);
        Assert.StartsWith("application/json", parts[0].ContentType);
        Assert.True(JsonNode.DeepEquals(Json("""{"name":"notes.txt"}"""), JsonNode.Parse(parts[0].Body)), Encoding.UTF8.GetString(parts[0].Body));
        Assert.Equal("text/plain", parts[1].ContentType);
        Assert.Equal("Grüße aus Köln\n", Encoding.UTF8.GetString(parts[1].Body));
    }

    [Fact]
    public async Task Drive_upload_decodes_base64_content_and_sets_parent_and_conversion_in_the_metadata()
    {
        Api.On("POST", "/upload/drive/v3/files", _ => (200, Json("""{"id":"1Zy","name":"scores","mimeType":"application/vnd.google-apps.spreadsheet"}"""), null));
        var csv = "Name,Score\nAda,42\n"u8.ToArray();
        await google.SucceedsAsync("GOOGLEDRIVE_UPLOAD_FILE", new
        {
            name = "scores",
            content = Convert.ToBase64String(csv),
            content_base64 = true,
            mimeType = "text/csv",
            parentId = "0AFolder",
            convertTo = "application/vnd.google-apps.spreadsheet",
        });
        var parts = await PartsAsync(google.Received("POST", "/upload/drive/v3/files"));
        Assert.True(JsonNode.DeepEquals(Json("""{"name":"scores","mimeType":"application/vnd.google-apps.spreadsheet","parents":["0AFolder"]}"""),
            JsonNode.Parse(parts[0].Body)));
        Assert.Equal("text/csv", parts[1].ContentType);
        Assert.Equal(csv, parts[1].Body);

        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF };
        await google.SucceedsAsync("GOOGLEDRIVE_UPLOAD_FILE", new { name = "dot.png", content = Convert.ToBase64String(png), content_base64 = true, mimeType = "image/png" });
        parts = await PartsAsync(google.Received("POST", "/upload/drive/v3/files"));
        Assert.Equal("image/png", parts[1].ContentType);
        Assert.Equal(png, parts[1].Body);

        var before = Api.Requests.Count;
        var invalid = await JsonAssert.ErrorAsync(await google.PostExecuteAsync("GOOGLEDRIVE_UPLOAD_FILE", new { name = "x", content = "not base64!", content_base64 = true }),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal("content", invalid.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task Drive_upload_without_the_scope_is_googles_403_insufficient_permissions_mapped_to_insufficient_scope()
    {
        Api.On("POST", "/upload/drive/v3/files", _ => (403, Json(InsufficientScope), null));
        var failed = await google.FailsAsync("GOOGLEDRIVE_UPLOAD_FILE", new { name = "a.txt", content = "a" }, "insufficient_scope", 403);
        Assert.Equal("insufficientPermissions", failed.GetProperty("data").GetProperty("error").GetProperty("errors")[0].GetProperty("reason").GetString());
        Assert.False(failed.GetProperty("error").GetProperty("retryable").GetBoolean());
    }

    [Fact]
    public async Task Drive_download_reads_the_metadata_then_the_media_and_returns_text_as_text()
    {
        Api.On("GET", "/drive/v3/files/txt1", r => r.QueryValues.ContainsKey("alt")
            ? (200, new FakeProviderApi.RawBody(Encoding.UTF8.GetBytes("line one\nZürich\n"), "text/plain; charset=UTF-8"), null)
            : (200, Json("""{"id":"txt1","name":"notes.txt","mimeType":"text/plain","size":"17"}"""), null));
        var data = await google.SucceedsAsync("GOOGLEDRIVE_DOWNLOAD_FILE", new { fileId = "txt1" });
        Assert.Equal("notes.txt", data.GetProperty("name").GetString());
        Assert.Equal("text/plain", data.GetProperty("mimeType").GetString());
        Assert.Equal("utf-8", data.GetProperty("encoding").GetString());
        Assert.Equal("line one\nZürich\n", data.GetProperty("content").GetString());
        Assert.Equal(17, data.GetProperty("size").GetInt32());

        var calls = Api.Requests.Where(r => r.Path == "/drive/v3/files/txt1").TakeLast(2).ToList();
        Assert.Equal(["id,name,mimeType,size"], calls[0].QueryValues["fields"]);
        Assert.Equal(["media"], calls[1].QueryValues["alt"]);
        Assert.All(calls, c => Assert.StartsWith("Bearer ya29.", c.Headers["Authorization"]));
    }

    [Fact]
    public async Task Drive_download_returns_binary_as_base64_and_exports_google_docs()
    {
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0xC3, 0x28 };
        Api.On("GET", "/drive/v3/files/img1", r => r.QueryValues.ContainsKey("alt")
            ? (200, new FakeProviderApi.RawBody(png, "image/png"), null)
            : (200, Json("""{"id":"img1","name":"logo.png","mimeType":"image/png","size":"14"}"""), null));
        var image = await google.SucceedsAsync("GOOGLEDRIVE_DOWNLOAD_FILE", new { fileId = "img1" });
        Assert.Equal("base64", image.GetProperty("encoding").GetString());
        Assert.Equal(png, Convert.FromBase64String(image.GetProperty("content").GetString()!));

        Api.On("GET", "/drive/v3/files/doc1", _ => (200, Json("""{"id":"doc1","name":"Plan","mimeType":"application/vnd.google-apps.document"}"""), null));
        Api.On("GET", "/drive/v3/files/doc1/export", r => (200, new FakeProviderApi.RawBody("The plan\r\n"u8.ToArray(), r.QueryValues["mimeType"][0]), null));
        var doc = await google.SucceedsAsync("GOOGLEDRIVE_DOWNLOAD_FILE", new { fileId = "doc1", exportMimeType = "text/plain" });
        Assert.Equal("The plan\r\n", doc.GetProperty("content").GetString());
        Assert.Equal("text/plain", doc.GetProperty("mimeType").GetString());
        Assert.Equal("application/vnd.google-apps.document", doc.GetProperty("exportedFrom").GetString());
        Assert.Equal(["text/plain"], google.Received("GET", "/drive/v3/files/doc1/export").QueryValues["mimeType"]);

        // Without exportMimeType a Docs file comes as PDF (binary, base64).
        await google.SucceedsAsync("GOOGLEDRIVE_DOWNLOAD_FILE", new { fileId = "doc1" });
        Assert.Equal(["application/pdf"], google.Received("GET", "/drive/v3/files/doc1/export").QueryValues["mimeType"]);
    }

    [Fact]
    public async Task Drive_download_refuses_large_files_and_folders_without_fetching_content_and_passes_googles_404()
    {
        Api.On("GET", "/drive/v3/files/big1", r => r.QueryValues.ContainsKey("alt")
            ? (200, new FakeProviderApi.RawBody(new byte[10], "application/zip"), null)
            : (200, Json("""{"id":"big1","name":"backup.zip","mimeType":"application/zip","size":"104857600"}"""), null));
        var big = await google.FailsAsync("GOOGLEDRIVE_DOWNLOAD_FILE", new { fileId = "big1" }, "upstream_error", 200);
        Assert.Contains("104857600", big.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("backup.zip", big.GetProperty("data").GetProperty("name").GetString());
        Assert.DoesNotContain(Api.Requests, r => r.Path == "/drive/v3/files/big1" && r.QueryValues.ContainsKey("alt"));

        Api.On("GET", "/drive/v3/files/dir1", _ => (200, Json("""{"id":"dir1","name":"Projects","mimeType":"application/vnd.google-apps.folder"}"""), null));
        var folder = await google.FailsAsync("GOOGLEDRIVE_DOWNLOAD_FILE", new { fileId = "dir1" }, "upstream_error", 200);
        Assert.Contains("GOOGLEDRIVE_LIST_FILES", folder.GetProperty("error").GetProperty("message").GetString());

        Api.On("GET", "/drive/v3/files/missing", _ => (404, Json("""
            {"error":{"code":404,"message":"File not found: missing.","errors":[{"message":"File not found: missing.","domain":"global","reason":"notFound","location":"fileId","locationType":"parameter"}]}}
            """), null));
        var missing = await google.FailsAsync("GOOGLEDRIVE_DOWNLOAD_FILE", new { fileId = "missing" }, "upstream_error", 404);
        Assert.Equal("notFound", missing.GetProperty("data").GetProperty("error").GetProperty("errors")[0].GetProperty("reason").GetString());
    }

    private sealed record Part(string ContentType, byte[] Body);

    /// <summary>The parts of a multipart body as the provider would read them.</summary>
    private static async Task<List<Part>> PartsAsync(FakeProviderApi.Received request)
    {
        var type = MediaTypeHeaderValue.Parse(request.Headers["Content-Type"]);
        Assert.Equal("multipart/related", type.MediaType.Value);
        var reader = new MultipartReader(HeaderUtilities.RemoveQuotes(type.Boundary).Value!, new MemoryStream(request.BodyBytes));
        var parts = new List<Part>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var body = new MemoryStream();
            await section.Body.CopyToAsync(body);
            parts.Add(new Part(section.ContentType ?? "", body.ToArray()));
        }
        return parts;
    }
}
