using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class SlackToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Slack, new Dictionary<string, string> { ["slack"] = "/api" });

/// <summary>
/// Slack Web API tools (https://api.slack.com/methods): POST methods take a JSON body, read methods a query string,
/// and failures are HTTP 200 with `ok:false` (https://api.slack.com/web#evaluating_responses).
/// </summary>
public sealed partial class CuratedSlackToolsTests(SlackToolkitFixture slack) : IClassFixture<SlackToolkitFixture>
{
    private FakeProviderApi Api => slack.Api;
    private SlackToolkitFixture Kit => slack;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task Send_message_posts_json_with_the_bot_token_and_returns_channel_and_ts()
    {
        Api.On("POST", "/api/chat.postMessage", r => (200, Json($$$"""
            {"ok":true,"channel":"C0123456789","ts":"1717000000.000200","message":{"type":"message","text":{{{r.Json!["text"]!.ToJsonString()}}},"thread_ts":"1717000000.000100"}}
            """), null));
        var data = await slack.SucceedsAsync("SLACK_SEND_MESSAGE", new { channel = "#general", text = "Deploy *done* :rocket:", thread_ts = "1717000000.000100" });
        Assert.Equal("C0123456789", data.GetProperty("channel").GetString());
        Assert.Equal("1717000000.000200", data.GetProperty("ts").GetString());

        var sent = slack.Received("POST", "/api/chat.postMessage");
        Assert.StartsWith("Bearer xoxb-", sent.Headers["Authorization"]);
        Assert.StartsWith("application/json", sent.Headers["Content-Type"]);
        Assert.True(JsonNode.DeepEquals(Json("""{"channel":"#general","text":"Deploy *done* :rocket:","thread_ts":"1717000000.000100"}"""), sent.Json), sent.Body);
    }

    [Fact]
    public async Task Create_channel_and_invite_send_slacks_shapes_with_users_as_a_comma_separated_string()
    {
        Api.On("POST", "/api/conversations.create", r => (200, new { ok = true, channel = new { id = "C0NEW", name = r.Json!["name"]!.GetValue<string>(), is_private = true } }, null));
        Api.On("POST", "/api/conversations.invite", _ => (200, new { ok = true, channel = new { id = "C0NEW" } }, null));

        var created = await slack.SucceedsAsync("SLACK_CREATE_CHANNEL", new { name = "project-apollo", is_private = true });
        Assert.Equal("C0NEW", created.GetProperty("channel").GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"name":"project-apollo","is_private":true}"""), slack.Received("POST", "/api/conversations.create").Json));

        await slack.SucceedsAsync("SLACK_INVITE_TO_CHANNEL", new { channel = "C0NEW", users = new[] { "U01", "U02" } });
        Assert.True(JsonNode.DeepEquals(Json("""{"channel":"C0NEW","users":"U01,U02"}"""), slack.Received("POST", "/api/conversations.invite").Json));
    }

    [Fact]
    public async Task List_channels_and_users_are_gets_with_query_parameters_and_cursor_pagination()
    {
        Api.On("GET", "/api/conversations.list", _ => (200, Json("""
            {"ok":true,"channels":[{"id":"C01","name":"general","is_private":false,"is_member":true}],"response_metadata":{"next_cursor":"dGVhbTpDMDI="}}
            """), null));
        Api.On("GET", "/api/users.list", _ => (200, Json("""
            {"ok":true,"members":[{"id":"U01","name":"ada","real_name":"Ada Lovelace","is_bot":false,"deleted":false}],"response_metadata":{"next_cursor":""}}
            """), null));

        var channels = await slack.SucceedsAsync("SLACK_LIST_CHANNELS", new { types = "public_channel,private_channel", exclude_archived = true, limit = 100, cursor = "dGVhbTpDMDE=" });
        Assert.Equal("dGVhbTpDMDI=", channels.GetProperty("response_metadata").GetProperty("next_cursor").GetString());
        var list = slack.Received("GET", "/api/conversations.list");
        Assert.Equal("", list.Body);
        Assert.Equal(["public_channel,private_channel"], list.QueryValues["types"]);
        Assert.Equal(["true"], list.QueryValues["exclude_archived"]);
        Assert.Equal(["100"], list.QueryValues["limit"]);
        Assert.Equal(["dGVhbTpDMDE="], list.QueryValues["cursor"]);

        var users = await slack.SucceedsAsync("SLACK_LIST_USERS", new { limit = 200 });
        Assert.Equal("Ada Lovelace", users.GetProperty("members")[0].GetProperty("real_name").GetString());
        Assert.Equal(["200"], slack.Received("GET", "/api/users.list").QueryValues["limit"]);
    }

    [Fact]
    public async Task Ok_false_is_a_failed_result_and_http_429_with_retry_after_is_rate_limited()
    {
        Api.On("POST", "/api/conversations.invite", _ => (200, Json("""{"ok":false,"error":"not_in_channel"}"""), null));
        var failed = await slack.FailsAsync("SLACK_INVITE_TO_CHANNEL", new { channel = "C0OTHER", users = new[] { "U01" } }, "upstream_error", 200);
        Assert.Contains("not_in_channel", failed.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("not_in_channel", failed.GetProperty("data").GetProperty("error").GetString());

        // https://api.slack.com/apis/rate-limits: HTTP 429 with Retry-After in seconds (a POST is never retried blindly).
        Api.On("POST", "/api/chat.postMessage", _ => (429, Json("""{"ok":false,"error":"ratelimited"}"""), new Dictionary<string, string> { ["Retry-After"] = "30" }));
        var limited = await slack.FailsAsync("SLACK_SEND_MESSAGE", new { channel = "C01", text = "again" }, "rate_limited", 429);
        Assert.Equal(30000, limited.GetProperty("error").GetProperty("retryAfterMs").GetInt64());
        Assert.True(limited.GetProperty("error").GetProperty("retryable").GetBoolean());
    }
}
