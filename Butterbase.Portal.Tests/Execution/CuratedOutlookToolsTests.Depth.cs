using System.Text.Json.Nodes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>The Outlook tools beyond the first four (issue 14 "curated depth"), against the stand-in on Graph v1.0's paths.</summary>
public sealed partial class CuratedOutlookToolsTests
{
    private static JsonNode GraphError(string code, string message) =>
        new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["innerError"] = new JsonObject { ["request-id"] = "b1c3-…", ["date"] = "2025-06-01T10:00:00" } } };

    [Fact]
    public async Task Get_message_reply_and_reply_all_post_a_comment_and_a_gone_message_is_graphs_404()
    {
        Api.On("GET", "/v1.0/me/messages/AAMk1", _ => (200, Json("""
            {"id":"AAMk1","subject":"Invoice","body":{"contentType":"html","content":"<p>Please pay</p>"},"from":{"emailAddress":{"name":"Bob","address":"bob@example.com"}},"conversationId":"AAQk1"}
            """), null));
        Api.On("POST", "/v1.0/me/messages/AAMk1/reply", _ => (202, null, null));
        Api.On("POST", "/v1.0/me/messages/AAMk1/replyAll", _ => (202, null, null));
        Api.On("POST", "/v1.0/me/messages/gone/reply", _ => (404, GraphError("ErrorItemNotFound", "The specified object was not found in the store."), null));

        var message = await Kit.SucceedsAsync("OUTLOOK_GET_MESSAGE", new { message_id = "AAMk1" });
        Assert.Equal("<p>Please pay</p>", message.GetProperty("body").GetProperty("content").GetString());

        var replied = await Kit.SucceedsAsync("OUTLOOK_REPLY_TO_EMAIL", new { message_id = "AAMk1", comment = "Paid, thanks." });
        Assert.True(replied.GetProperty("sent").GetBoolean());
        var reply = Kit.Received("POST", "/v1.0/me/messages/AAMk1/reply");
        Assert.StartsWith("Bearer EwB", reply.Headers["Authorization"]);
        Assert.True(JsonNode.DeepEquals(Json("""{"comment":"Paid, thanks."}"""), reply.Json));

        await Kit.SucceedsAsync("OUTLOOK_REPLY_TO_EMAIL", new { message_id = "AAMk1", comment = "All: paid.", reply_all = true });
        Assert.True(JsonNode.DeepEquals(Json("""{"comment":"All: paid."}"""), Kit.Received("POST", "/v1.0/me/messages/AAMk1/replyAll").Json));

        var gone = await Kit.FailsAsync("OUTLOOK_REPLY_TO_EMAIL", new { message_id = "gone", comment = "x" }, "upstream_error", 404);
        Assert.Equal("ErrorItemNotFound", gone.GetProperty("data").GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Forward_move_delete_and_folders_use_graphs_shapes()
    {
        Api.On("POST", "/v1.0/me/messages/AAMk1/forward", _ => (202, null, null));
        Api.On("POST", "/v1.0/me/messages/AAMk1/move", r => (201, Json("""{"id":"AAMk1-moved","parentFolderId":"AQMkArchive","subject":"Invoice"}"""), null));
        Api.On("DELETE", "/v1.0/me/messages/AAMk1-moved", _ => (204, null, null));
        Api.On("GET", "/v1.0/me/mailFolders", _ => (200, Json("""{"value":[{"id":"AQMkInbox","displayName":"Inbox","totalItemCount":12,"unreadItemCount":3}]}"""), null));

        await Kit.SucceedsAsync("OUTLOOK_FORWARD_EMAIL", new { message_id = "AAMk1", to = "Cy <cy@example.com>", comment = "FYI" });
        Assert.True(JsonNode.DeepEquals(Json("""{"toRecipients":[{"emailAddress":{"address":"cy@example.com","name":"Cy"}}],"comment":"FYI"}"""),
            Kit.Received("POST", "/v1.0/me/messages/AAMk1/forward").Json));

        var moved = await Kit.SucceedsAsync("OUTLOOK_MOVE_MESSAGE", new { message_id = "AAMk1", destinationId = "archive" });
        Assert.Equal("AAMk1-moved", moved.GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"destinationId":"archive"}"""), Kit.Received("POST", "/v1.0/me/messages/AAMk1/move").Json));

        await Kit.SucceedsAsync("OUTLOOK_DELETE_MESSAGE", new { message_id = "AAMk1-moved" });
        Assert.StartsWith("Bearer EwB", Kit.Received("DELETE", "/v1.0/me/messages/AAMk1-moved").Headers["Authorization"]);

        var folders = await Kit.SucceedsAsync("OUTLOOK_LIST_MAIL_FOLDERS", new { top = 50 });
        Assert.Equal(3, folders.GetProperty("value")[0].GetProperty("unreadItemCount").GetInt32());
        Assert.Equal(["50"], Kit.Received("GET", "/v1.0/me/mailFolders").QueryValues["$top"]);
    }

    [Fact]
    public async Task Update_event_patches_only_what_is_given_in_the_time_zone_and_get_cancel_delete_use_the_event_path()
    {
        Api.On("GET", "/v1.0/me/events/AAMkEv1", _ => (200, Json("""{"id":"AAMkEv1","subject":"Sync","start":{"dateTime":"2025-06-02T07:00:00.0000000","timeZone":"UTC"},"isCancelled":false}"""), null));
        Api.On("PATCH", "/v1.0/me/events/AAMkEv1", r => (200, new JsonObject { ["id"] = "AAMkEv1", ["subject"] = r.Json!["subject"]?.DeepClone() ?? "Sync", ["start"] = r.Json!["start"]?.DeepClone() }, null));
        Api.On("POST", "/v1.0/me/events/AAMkEv1/cancel", _ => (202, null, null));
        Api.On("DELETE", "/v1.0/me/events/AAMkEv1", _ => (204, null, null));
        Api.On("DELETE", "/v1.0/me/events/gone", _ => (404, GraphError("ErrorItemNotFound", "The specified object was not found in the store."), null));

        var ev = await Kit.SucceedsAsync("OUTLOOK_GET_EVENT", new { event_id = "AAMkEv1" });
        Assert.Equal("Sync", ev.GetProperty("subject").GetString());

        var updated = await Kit.SucceedsAsync("OUTLOOK_UPDATE_EVENT", new
        {
            event_id = "AAMkEv1", subject = "Sync (moved)", startDateTime = "2025-06-02T10:00:00", endDateTime = "2025-06-02T10:30:00", timeZone = "Europe/Paris",
            attendees = new[] { "ann@example.com" },
        });
        Assert.Equal("Sync (moved)", updated.GetProperty("subject").GetString());
        var patch = Kit.Received("PATCH", "/v1.0/me/events/AAMkEv1");
        Assert.Equal("outlook.timezone=\"Europe/Paris\"", patch.Headers["Prefer"]);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"subject":"Sync (moved)","start":{"dateTime":"2025-06-02T10:00:00","timeZone":"Europe/Paris"},"end":{"dateTime":"2025-06-02T10:30:00","timeZone":"Europe/Paris"},
             "attendees":[{"emailAddress":{"address":"ann@example.com"},"type":"required"}]}
            """), patch.Json), patch.Body);

        await Support.JsonAssert.ErrorAsync(await Kit.PostExecuteAsync("OUTLOOK_UPDATE_EVENT", new { event_id = "AAMkEv1" }), System.Net.HttpStatusCode.UnprocessableEntity, "invalid_params");

        await Kit.SucceedsAsync("OUTLOOK_CANCEL_EVENT", new { event_id = "AAMkEv1", comment = "Sorry, moving this." });
        Assert.True(JsonNode.DeepEquals(Json("""{"comment":"Sorry, moving this."}"""), Kit.Received("POST", "/v1.0/me/events/AAMkEv1/cancel").Json));

        await Kit.SucceedsAsync("OUTLOOK_DELETE_EVENT", new { event_id = "AAMkEv1" });
        Assert.Equal("", Kit.Received("DELETE", "/v1.0/me/events/AAMkEv1").Body);
        await Kit.FailsAsync("OUTLOOK_DELETE_EVENT", new { event_id = "gone" }, "upstream_error", 404);
    }
}
