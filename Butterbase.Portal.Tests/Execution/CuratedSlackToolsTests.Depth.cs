using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>The Slack tools beyond the first five (issue 14 "curated depth"), against the stand-in on Slack's method paths.</summary>
public sealed partial class CuratedSlackToolsTests
{
    [Fact]
    public async Task Users_are_looked_up_by_email_and_by_id_with_query_parameters_and_an_unknown_email_is_users_not_found()
    {
        Api.On("GET", "/api/users.lookupByEmail", r => r.QueryValues["email"][0] == "ada@example.com"
            ? (200, Json("""{"ok":true,"user":{"id":"U01","name":"ada","real_name":"Ada Lovelace","tz":"Europe/London","profile":{"email":"ada@example.com","title":"Engineer"}}}"""), null)
            : (200, Json("""{"ok":false,"error":"users_not_found"}"""), null));
        Api.On("GET", "/api/users.info", _ => (200, Json("""{"ok":true,"user":{"id":"U01","name":"ada","real_name":"Ada Lovelace","is_bot":false,"deleted":false,"locale":"en-GB"}}"""), null));

        var found = await Kit.SucceedsAsync("SLACK_FIND_USER_BY_EMAIL", new { email = "ada@example.com" });
        Assert.Equal("U01", found.GetProperty("user").GetProperty("id").GetString());
        var lookup = Kit.Received("GET", "/api/users.lookupByEmail");
        Assert.StartsWith("Bearer xoxb-", lookup.Headers["Authorization"]);
        Assert.Equal(["ada@example.com"], lookup.QueryValues["email"]);

        var info = await Kit.SucceedsAsync("SLACK_GET_USER_INFO", new { user = "U01", include_locale = true });
        Assert.Equal("en-GB", info.GetProperty("user").GetProperty("locale").GetString());
        Assert.Equal(["U01"], Kit.Received("GET", "/api/users.info").QueryValues["user"]);
        Assert.Equal(["true"], Kit.Received("GET", "/api/users.info").QueryValues["include_locale"]);

        var missing = await Kit.FailsAsync("SLACK_FIND_USER_BY_EMAIL", new { email = "nobody@example.com" }, "upstream_error", 200);
        Assert.Contains("users_not_found", missing.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Channel_archive_rename_and_topic_post_json_and_an_already_archived_channel_fails()
    {
        Api.On("POST", "/api/conversations.archive", r => r.Json!["channel"]!.GetValue<string>() == "C0OLD"
            ? (200, Json("""{"ok":false,"error":"already_archived"}"""), null)
            : (200, Json("""{"ok":true}"""), null));
        Api.On("POST", "/api/conversations.rename", r => (200, new { ok = true, channel = new { id = "C0NEW", name = r.Json!["name"]!.GetValue<string>() } }, null));
        Api.On("POST", "/api/conversations.setTopic", r => (200, new { ok = true, channel = new { id = "C0NEW", topic = new { value = r.Json!["topic"]!.GetValue<string>() } } }, null));

        await Kit.SucceedsAsync("SLACK_ARCHIVE_CHANNEL", new { channel = "C0NEW" });
        var archive = Kit.Received("POST", "/api/conversations.archive");
        Assert.StartsWith("application/json", archive.Headers["Content-Type"]);
        Assert.True(JsonNode.DeepEquals(Json("""{"channel":"C0NEW"}"""), archive.Json));
        await Kit.FailsAsync("SLACK_ARCHIVE_CHANNEL", new { channel = "C0OLD" }, "upstream_error", 200);

        var renamed = await Kit.SucceedsAsync("SLACK_RENAME_CHANNEL", new { channel = "C0NEW", name = "apollo-launch" });
        Assert.Equal("apollo-launch", renamed.GetProperty("channel").GetProperty("name").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"channel":"C0NEW","name":"apollo-launch"}"""), Kit.Received("POST", "/api/conversations.rename").Json));

        var topic = await Kit.SucceedsAsync("SLACK_SET_CHANNEL_TOPIC", new { channel = "C0NEW", topic = "Launch on Friday" });
        Assert.Equal("Launch on Friday", topic.GetProperty("channel").GetProperty("topic").GetProperty("value").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"channel":"C0NEW","topic":"Launch on Friday"}"""), Kit.Received("POST", "/api/conversations.setTopic").Json));
    }

    [Fact]
    public async Task History_and_thread_replies_are_gets_with_ts_and_cursor()
    {
        Api.On("GET", "/api/conversations.history", _ => (200, Json("""
            {"ok":true,"messages":[{"type":"message","user":"U01","text":"Ship it?","ts":"1717000000.000100","thread_ts":"1717000000.000100","reply_count":1}],"has_more":true,"response_metadata":{"next_cursor":"bmV4dA=="}}
            """), null));
        Api.On("GET", "/api/conversations.replies", _ => (200, Json("""
            {"ok":true,"messages":[{"type":"message","user":"U01","text":"Ship it?","ts":"1717000000.000100","thread_ts":"1717000000.000100"},{"type":"message","user":"U02","text":"Yes","ts":"1717000001.000200","thread_ts":"1717000000.000100"}],"has_more":false}
            """), null));

        var history = await Kit.SucceedsAsync("SLACK_GET_CHANNEL_HISTORY", new { channel = "C01", limit = 20, oldest = "1716000000.000000" });
        Assert.Equal(1, history.GetProperty("messages")[0].GetProperty("reply_count").GetInt32());
        var h = Kit.Received("GET", "/api/conversations.history").QueryValues;
        Assert.Equal(["C01"], h["channel"]);
        Assert.Equal(["20"], h["limit"]);
        Assert.Equal(["1716000000.000000"], h["oldest"]);

        var thread = await Kit.SucceedsAsync("SLACK_GET_THREAD_REPLIES", new { channel = "C01", ts = "1717000000.000100", cursor = "bmV4dA==" });
        Assert.Equal("Yes", thread.GetProperty("messages")[1].GetProperty("text").GetString());
        var r = Kit.Received("GET", "/api/conversations.replies").QueryValues;
        Assert.Equal(["1717000000.000100"], r["ts"]);
        Assert.Equal(["bmV4dA=="], r["cursor"]);
    }

    [Fact]
    public async Task Reactions_are_added_and_removed_and_slacks_missing_scope_names_the_needed_scope_and_a_reconnect_link()
    {
        Api.On("POST", "/api/reactions.add", _ => (200, Json("""{"ok":true}"""), null));
        Api.On("POST", "/api/reactions.remove", _ => (200, Json("""{"ok":false,"error":"missing_scope","needed":"reactions:write","provided":"chat:write,channels:read"}"""), null));

        await Kit.SucceedsAsync("SLACK_ADD_REACTION", new { channel = "C01", timestamp = "1717000000.000100", name = "white_check_mark" });
        Assert.True(JsonNode.DeepEquals(Json("""{"channel":"C01","timestamp":"1717000000.000100","name":"white_check_mark"}"""), Kit.Received("POST", "/api/reactions.add").Json));

        var failed = await Kit.FailsAsync("SLACK_REMOVE_REACTION", new { channel = "C01", timestamp = "1717000000.000100", name = "eyes" }, "insufficient_scope", 200);
        var error = failed.GetProperty("error");
        Assert.Contains("reactions:write", error.GetProperty("message").GetString());
        Assert.Equal(["reactions:write"], error.GetProperty("missingScopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains("/connect/start?t=", error.GetProperty("reconnectUrl").GetString());
    }

    [Fact]
    public async Task Upload_file_gets_an_upload_url_posts_the_bytes_there_without_the_token_and_completes_in_the_thread()
    {
        Api.OpenPaths["/upload/v1/ABC123"] = true;
        Api.On("POST", "/api/files.getUploadURLExternal", _ => (200, new { ok = true, upload_url = Api.BaseUrl + "/upload/v1/ABC123", file_id = "F0UPLOAD" }, null));
        Api.On("POST", "/upload/v1/ABC123", r => (200, new FakeProviderApi.RawBody(System.Text.Encoding.UTF8.GetBytes("OK - " + r.BodyBytes.Length), "text/plain"), null));
        Api.On("POST", "/api/files.completeUploadExternal", _ => (200, Json("""{"ok":true,"files":[{"id":"F0UPLOAD","title":"Q3 numbers"}]}"""), null));

        var data = await Kit.SucceedsAsync("SLACK_UPLOAD_FILE", new
        {
            filename = "q3.csv", content = "name,score\nada,42\n", title = "Q3 numbers", channel_id = "C01", thread_ts = "1717000000.000100", initial_comment = "Here you go",
        });
        Assert.Equal("F0UPLOAD", data.GetProperty("files")[0].GetProperty("id").GetString());

        var step1 = Kit.Received("POST", "/api/files.getUploadURLExternal");
        Assert.StartsWith("Bearer xoxb-", step1.Headers["Authorization"]);
        Assert.StartsWith("application/x-www-form-urlencoded", step1.Headers["Content-Type"]);
        var form = QueryHelpers.ParseQuery(step1.Body);
        Assert.Equal("q3.csv", form["filename"].ToString());
        Assert.Equal("18", form["length"].ToString());
        var upload = Kit.Received("POST", "/upload/v1/ABC123");
        Assert.False(upload.Headers.ContainsKey("Authorization"));
        Assert.Equal("name,score\nada,42\n", System.Text.Encoding.UTF8.GetString(upload.BodyBytes));
        var complete = Kit.Received("POST", "/api/files.completeUploadExternal");
        Assert.StartsWith("Bearer xoxb-", complete.Headers["Authorization"]);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"files":[{"id":"F0UPLOAD","title":"Q3 numbers"}],"channel_id":"C01","thread_ts":"1717000000.000100","initial_comment":"Here you go"}
            """), complete.Json), complete.Body);
    }

    [Fact]
    public async Task Upload_file_refuses_an_upload_url_off_slacks_file_host_and_does_not_complete()
    {
        Api.On("POST", "/api/files.getUploadURLExternal", _ => (200, new { ok = true, upload_url = "https://attacker.example/steal", file_id = "F0EVIL" }, null));
        var completes = Api.Requests.Count(r => r.Path == "/api/files.completeUploadExternal");
        var failed = await Kit.FailsAsync("SLACK_UPLOAD_FILE", new { filename = "a.txt", content = "secret" }, "upstream_error", 200);
        Assert.Equal("upload_url_refused", failed.GetProperty("data").GetProperty("error").GetString());
        Assert.Equal(completes, Api.Requests.Count(r => r.Path == "/api/files.completeUploadExternal"));
    }
}
