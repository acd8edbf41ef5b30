using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// The Discord bot tools beyond the first four (issue 14 "curated depth"): roles, members, channel edit/delete, messages and
/// the server, against the stand-in on Discord's v10 paths, all as the bot and only in the connection's own server.
/// </summary>
public sealed partial class CuratedDiscordToolsTests
{
    private const string Guild = DiscordToolkitFixture.BoundGuild;
    private const string Bot = "Bot " + DiscordToolkitFixture.PlatformBotToken;

    private static JsonNode DiscordError(int code, string message) => new JsonObject { ["message"] = message, ["code"] = code };

    [Fact]
    public async Task Roles_are_listed_created_given_taken_and_deleted_as_the_bot()
    {
        Api.On("GET", $"/api/v10/guilds/{Guild}/roles", _ => (200, Json($$"""[{"id":"{{Guild}}","name":"@everyone","permissions":"104324673","position":0,"color":0,"hoist":false,"managed":false,"mentionable":false}]"""), null));
        Api.On("POST", $"/api/v10/guilds/{Guild}/roles", r => (200, Json($$"""{"id":"1300","name":{{r.Json!["name"]!.ToJsonString()}},"color":{{r.Json!["color"]!.ToJsonString()}},"hoist":true,"position":1,"permissions":"0","managed":false,"mentionable":false}"""), null));
        Api.On("PUT", $"/api/v10/guilds/{Guild}/members/5000/roles/1300", _ => (204, null, null));
        Api.On("DELETE", $"/api/v10/guilds/{Guild}/members/5000/roles/1300", _ => (204, null, null));
        Api.On("DELETE", $"/api/v10/guilds/{Guild}/roles/1300", _ => (204, null, null));
        Api.On("PUT", $"/api/v10/guilds/{Guild}/members/5000/roles/1", _ => (403, DiscordError(50013, "Missing Permissions"), null));

        var roles = await Kit.SucceedsAsync("DISCORD_LIST_ROLES", new { guild_id = Guild });
        Assert.Equal("@everyone", roles[0].GetProperty("name").GetString());
        Assert.Equal(Bot, Kit.Received("GET", $"/api/v10/guilds/{Guild}/roles").Headers["Authorization"]);

        var role = await Kit.SucceedsAsync("DISCORD_CREATE_ROLE", new { guild_id = Guild, name = "Moderators", color = 3447003, hoist = true });
        Assert.Equal("1300", role.GetProperty("id").GetString());
        var create = Kit.Received("POST", $"/api/v10/guilds/{Guild}/roles");
        Assert.Equal(Bot, create.Headers["Authorization"]);
        Assert.True(JsonNode.DeepEquals(Json("""{"name":"Moderators","color":3447003,"hoist":true}"""), create.Json), create.Body);

        await Kit.SucceedsAsync("DISCORD_ADD_MEMBER_ROLE", new { guild_id = Guild, user_id = "5000", role_id = "1300" });
        Assert.Equal(Bot, Kit.Received("PUT", $"/api/v10/guilds/{Guild}/members/5000/roles/1300").Headers["Authorization"]);
        await Kit.SucceedsAsync("DISCORD_REMOVE_MEMBER_ROLE", new { guild_id = Guild, user_id = "5000", role_id = "1300" });
        await Kit.SucceedsAsync("DISCORD_DELETE_ROLE", new { guild_id = Guild, role_id = "1300" });
        Assert.Equal("", Kit.Received("DELETE", $"/api/v10/guilds/{Guild}/roles/1300").Body);

        // Discord's 50013 is a permission the bot lacks in the server, not an OAuth scope: still a 403 for the caller to see.
        var denied = await Kit.FailsAsync("DISCORD_ADD_MEMBER_ROLE", new { guild_id = Guild, user_id = "5000", role_id = "1" }, "insufficient_scope", 403);
        Assert.Equal(50013, denied.GetProperty("data").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Members_are_listed_with_limit_and_after_and_read_one_by_one()
    {
        Api.On("GET", $"/api/v10/guilds/{Guild}/members", _ => (200, Json("""[{"user":{"id":"5000","username":"ada","global_name":"Ada"},"nick":null,"roles":["1300"],"joined_at":"2024-01-01T00:00:00+00:00"}]"""), null));
        Api.On("GET", $"/api/v10/guilds/{Guild}/members/5000", _ => (200, Json("""{"user":{"id":"5000","username":"ada"},"nick":"Countess","roles":["1300"],"joined_at":"2024-01-01T00:00:00+00:00"}"""), null));

        var members = await Kit.SucceedsAsync("DISCORD_LIST_MEMBERS", new { guild_id = Guild, limit = 100, after = "0" });
        Assert.Equal("ada", members[0].GetProperty("user").GetProperty("username").GetString());
        var list = Kit.Received("GET", $"/api/v10/guilds/{Guild}/members");
        Assert.Equal(["100"], list.QueryValues["limit"]);
        Assert.Equal(["0"], list.QueryValues["after"]);
        Assert.Equal(Bot, list.Headers["Authorization"]);

        var member = await Kit.SucceedsAsync("DISCORD_GET_MEMBER", new { guild_id = Guild, user_id = "5000" });
        Assert.Equal("Countess", member.GetProperty("nick").GetString());
    }

    [Fact]
    public async Task Channels_are_edited_and_deleted_and_read_after_discord_confirms_they_are_in_the_bound_server()
    {
        ChannelIn("41771983423143937", Guild);
        Api.On("PATCH", "/api/v10/channels/41771983423143937", r => (200, Json($$"""{"id":"41771983423143937","type":0,"guild_id":"{{Guild}}","name":{{r.Json!["name"]!.ToJsonString()}},"topic":{{r.Json!["topic"]!.ToJsonString()}}}"""), null));
        Api.On("DELETE", "/api/v10/channels/41771983423143937", _ => (200, Json($$"""{"id":"41771983423143937","type":0,"guild_id":"{{Guild}}","name":"announcements"}"""), null));
        Api.On("GET", "/api/v10/channels/41771983423143937/messages", _ => (200, Json("""[{"id":"1250000000000000001","content":"hello","timestamp":"2025-06-01T10:00:00+00:00","author":{"id":"5000","username":"ada"}}]"""), null));

        var edited = await Kit.SucceedsAsync("DISCORD_EDIT_CHANNEL", new { channel_id = "41771983423143937", name = "announcements", topic = "News only", rate_limit_per_user = 30 });
        Assert.Equal("announcements", edited.GetProperty("name").GetString());
        var patch = Kit.Received("PATCH", "/api/v10/channels/41771983423143937");
        Assert.Equal(Bot, patch.Headers["Authorization"]);
        Assert.True(JsonNode.DeepEquals(Json("""{"name":"announcements","topic":"News only","rate_limit_per_user":30}"""), patch.Json), patch.Body);

        var messages = await Kit.SucceedsAsync("DISCORD_LIST_MESSAGES", new { channel_id = "41771983423143937", limit = 10 });
        Assert.Equal("hello", messages[0].GetProperty("content").GetString());
        Assert.Equal(["10"], Kit.Received("GET", "/api/v10/channels/41771983423143937/messages").QueryValues["limit"]);

        var deleted = await Kit.SucceedsAsync("DISCORD_DELETE_CHANNEL", new { channel_id = "41771983423143937" });
        Assert.Equal("announcements", deleted.GetProperty("name").GetString());
    }

    [Fact]
    public async Task With_the_platforms_bot_a_channel_or_server_outside_the_bound_server_is_refused_before_the_call()
    {
        ChannelIn("99999999999999999", "11111111111111111");
        var writes = RequestsExcept("GET");
        await JsonAssert.ErrorAsync(await Kit.PostExecuteAsync("DISCORD_DELETE_CHANNEL", new { channel_id = "99999999999999999" }), HttpStatusCode.Forbidden, "forbidden");
        await JsonAssert.ErrorAsync(await Kit.PostExecuteAsync("DISCORD_CREATE_ROLE", new { guild_id = "11111111111111111", name = "x" }), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(writes, RequestsExcept("GET"));

        Api.On("GET", $"/api/v10/guilds/{Guild}", _ => (200, Json($$"""{"id":"{{Guild}}","name":"Acme","owner_id":"5000","approximate_member_count":42,"approximate_presence_count":7}"""), null));
        var server = await Kit.SucceedsAsync("DISCORD_GET_GUILD", new { guild_id = Guild });
        Assert.Equal(42, server.GetProperty("approximate_member_count").GetInt32());
        Assert.Equal(["true"], Kit.Received("GET", $"/api/v10/guilds/{Guild}").QueryValues["with_counts"]);
    }
}
