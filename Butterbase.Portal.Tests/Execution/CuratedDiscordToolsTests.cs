using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Tests.Execution;

public sealed class DiscordToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Discord, new Dictionary<string, string> { ["discord"] = "/api/v10" })
{
    public const string PlatformBotToken = "MTA5.platform.bot-token";
    public const string OwnBotToken = "MTA6.own.bot-token";

    protected override void Configure(PortalApplication portal)
    {
        portal.With(DiscordBotTool.ConfigurationKey, PlatformBotToken);
        Api.AcceptsBotToken = token => token is PlatformBotToken or OwnBotToken;
    }

    /// <summary>With the `bot` scope the user adds the bot to a server, which Discord names in the token answer: the connection's bound guild.</summary>
    protected override object ConfigureRequest(string slug) => new { toolkit = slug, scopes = new[] { "identify", "guilds", "bot" } };

    /// <summary>The server the fake's users add the bot to (<see cref="FakeOAuthProviderOptions.DiscordGuildId"/>).</summary>
    public const string BoundGuild = "80351110224678912";
}

/// <summary>
/// Discord tools (https://discord.com/developers/docs/reference): the user's OAuth token for /users/@me/guilds, the
/// bot token (`Authorization: Bot …`) for channels and messages; errors as `{message, code}`, rate limits as 429 with
/// Retry-After and `{message, retry_after, global}` (https://discord.com/developers/docs/topics/rate-limits).
/// </summary>
public sealed partial class CuratedDiscordToolsTests(DiscordToolkitFixture discord) : IClassFixture<DiscordToolkitFixture>
{
    private FakeProviderApi Api => discord.Api;
    private DiscordToolkitFixture Kit => discord;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task List_guilds_uses_the_users_oauth_token()
    {
        Api.On("GET", "/api/v10/users/@me/guilds", _ => (200, Json("""[{"id":"80351110224678912","name":"1337 Krew","owner":true,"permissions":"36953089"}]"""), null));
        var data = await discord.SucceedsAsync("DISCORD_LIST_GUILDS", new { limit = 10, with_counts = true });
        Assert.Equal("1337 Krew", data[0].GetProperty("name").GetString());
        var sent = discord.Received("GET", "/api/v10/users/@me/guilds");
        Assert.StartsWith("Bearer ", sent.Headers["Authorization"]);
        Assert.Equal(["10"], sent.QueryValues["limit"]);
        Assert.Equal(["true"], sent.QueryValues["with_counts"]);
    }

    [Fact]
    public async Task Send_message_posts_as_the_bot_with_a_reply_reference_and_returns_the_message()
    {
        ChannelIn("41771983444115456", DiscordToolkitFixture.BoundGuild);
        Api.On("POST", "/api/v10/channels/41771983444115456/messages", r => (200, Json($$"""
            {"id":"1250000000000000000","channel_id":"41771983444115456","type":19,"content":{{r.Json!["content"]!.ToJsonString()}},"timestamp":"2025-06-01T10:00:00.000000+00:00",
             "author":{"id":"9000","username":"butterbot","bot":true,"avatar":null},"mentions":[],"embeds":[],"attachments":[],"components":[],"tts":false}
            """), null));
        var data = await discord.SucceedsAsync("DISCORD_SEND_MESSAGE", new { channel_id = "41771983444115456", content = "Build passed ✅", reply_to_message_id = "1249999999999999999" });
        Assert.Equal("1250000000000000000", data.GetProperty("id").GetString());
        Assert.Equal("Build passed ✅", data.GetProperty("content").GetString());
        Assert.Equal("butterbot", data.GetProperty("author").GetProperty("username").GetString());
        Assert.False(data.TryGetProperty("embeds", out _));

        var sent = discord.Received("POST", "/api/v10/channels/41771983444115456/messages");
        Assert.Equal("Bot " + DiscordToolkitFixture.PlatformBotToken, sent.Headers["Authorization"]);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"content":"Build passed ✅","message_reference":{"message_id":"1249999999999999999","fail_if_not_exists":false}}
            """), sent.Json), sent.Body);
    }

    [Fact]
    public async Task List_and_create_channels_use_the_bot_token_and_return_trimmed_channels()
    {
        Api.On("GET", "/api/v10/guilds/80351110224678912/channels", _ => (200, Json("""
            [{"id":"41771983423143937","type":0,"guild_id":"80351110224678912","name":"general","position":0,"parent_id":null,"topic":"Hi","nsfw":false,
              "permission_overwrites":[{"id":"1","type":0,"allow":"0","deny":"1024"}],"rate_limit_per_user":0,"last_message_id":"155117677105512449"},
             {"id":"41771983423143938","type":4,"guild_id":"80351110224678912","name":"Projects","position":1,"permission_overwrites":[]}]
            """), null));
        Api.On("POST", "/api/v10/guilds/80351110224678912/channels", r => (201, Json($$"""
            {"id":"41771983423143999","type":{{r.Json!["type"]!.ToJsonString()}},"guild_id":"80351110224678912","name":{{r.Json!["name"]!.ToJsonString()}},
             "topic":{{r.Json!["topic"]!.ToJsonString()}},"parent_id":{{r.Json!["parent_id"]!.ToJsonString()}},"position":2,"permission_overwrites":[]}
            """), null));

        var channels = await discord.SucceedsAsync("DISCORD_LIST_CHANNELS", new { guild_id = "80351110224678912" });
        Assert.Equal(2, channels.GetArrayLength());
        Assert.Equal("general", channels[0].GetProperty("name").GetString());
        Assert.False(channels[0].TryGetProperty("permission_overwrites", out _));
        Assert.Equal("Bot " + DiscordToolkitFixture.PlatformBotToken, discord.Received("GET", "/api/v10/guilds/80351110224678912/channels").Headers["Authorization"]);

        var created = await discord.SucceedsAsync("DISCORD_CREATE_CHANNEL", new { guild_id = "80351110224678912", name = "release-notes", type = 0, topic = "What shipped", parent_id = "41771983423143938" });
        Assert.Equal("41771983423143999", created.GetProperty("id").GetString());
        Assert.Equal("80351110224678912", created.GetProperty("guild_id").GetString());
        var sent = discord.Received("POST", "/api/v10/guilds/80351110224678912/channels");
        Assert.Equal("Bot " + DiscordToolkitFixture.PlatformBotToken, sent.Headers["Authorization"]);
        Assert.True(JsonNode.DeepEquals(Json("""{"name":"release-notes","type":0,"topic":"What shipped","parent_id":"41771983423143938"}"""), sent.Json), sent.Body);
    }

    [Fact]
    public async Task The_connections_own_bot_token_wins_and_without_any_the_call_is_refused_before_discord()
    {
        Api.On("GET", "/api/v10/guilds/1/channels", _ => (200, Json("[]"), null));

        // A connection whose bot_token field is set (as a custom connection field) uses it instead of the platform's.
        var connectionId = await discord.ConnectAsync("discord", "dee");
        await using (var scope = discord.Portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
            var protector = scope.ServiceProvider.GetRequiredService<CredentialProtector>();
            var connection = await db.Connections.SingleAsync(c => c.Id == connectionId);
            var credentials = protector.Unprotect(connection.AppId, connection.Id, connection.Credentials);
            connection.Credentials = protector.Protect(connection.AppId, connection.Id, credentials with { Fields = new() { ["bot_token"] = DiscordToolkitFixture.OwnBotToken } });
            await db.SaveChangesAsync();
        }
        await discord.SucceedsAsync("DISCORD_LIST_CHANNELS", new { guild_id = "1" }, "dee");
        Assert.Equal("Bot " + DiscordToolkitFixture.OwnBotToken, discord.Received("GET", "/api/v10/guilds/1/channels").Headers["Authorization"]);

        // Neither the connection nor the platform has one: a clear refusal, and nothing reaches Discord.
        // The operator's setting as the portal holds it (bound at start, and again whenever configuration reloads).
        var platform = discord.Portal.Services.GetRequiredService<IOptionsMonitor<ToolkitSettingsBySlug>>().CurrentValue.For("discord");
        platform.BotToken = null; // not set (an empty value in configuration binds as null)
        try
        {
            var before = Api.Requests.Count;
            // Not the caller's parameters: the connection (or the server) lacks the credential.
            var refused = await JsonAssert.ErrorAsync(await discord.PostExecuteAsync("DISCORD_SEND_MESSAGE", new { channel_id = "1", content = "hi" }),
                HttpStatusCode.Conflict, "connection_incomplete");
            Assert.Contains("bot token", refused.GetProperty("message").GetString());
            var detail = refused.GetProperty("details")[0];
            Assert.Equal("bot_token", detail.GetProperty("field").GetString());
            Assert.Contains(DiscordBotTool.ConfigurationKey, detail.GetProperty("message").GetString());
            Assert.Equal(before, Api.Requests.Count);
        }
        finally { platform.BotToken = DiscordToolkitFixture.PlatformBotToken; }
    }

    [Fact]
    public async Task A_discord_429_is_rate_limited_with_retry_after_and_missing_access_is_insufficient_scope()
    {
        ChannelIn("42", DiscordToolkitFixture.BoundGuild);
        Api.On("POST", "/api/v10/channels/42/messages", _ => (429, Json("""{"message":"You are being rate limited.","retry_after":1.5,"global":false}"""),
            new Dictionary<string, string> { ["Retry-After"] = "2", ["X-RateLimit-Scope"] = "user", ["X-RateLimit-Bucket"] = "abcd1234" }));
        var limited = await discord.FailsAsync("DISCORD_SEND_MESSAGE", new { channel_id = "42", content = "spam" }, "rate_limited", 429);
        Assert.Equal(2000, limited.GetProperty("error").GetProperty("retryAfterMs").GetInt64());
        Assert.True(limited.GetProperty("error").GetProperty("retryable").GetBoolean());
        Assert.Equal(1.5, limited.GetProperty("data").GetProperty("retry_after").GetDouble());
        Assert.Single(Api.Requests, r => r.Path == "/api/v10/channels/42/messages"); // a POST is not retried

        Api.On("POST", $"/api/v10/guilds/{DiscordToolkitFixture.BoundGuild}/channels", _ => (403, Json("""{"message":"Missing Permissions","code":50013}"""), null));
        var forbidden = await discord.FailsAsync("DISCORD_CREATE_CHANNEL", new { guild_id = DiscordToolkitFixture.BoundGuild, name = "x" }, "insufficient_scope", 403);
        Assert.Equal(50013, forbidden.GetProperty("data").GetProperty("code").GetInt32());
    }

    /// <summary>Discord's Get Channel answers the channel with its guild (https://discord.com/developers/docs/resources/channel#get-channel).</summary>
    private void ChannelIn(string channelId, string? guildId) =>
        Api.On("GET", $"/api/v10/channels/{channelId}", _ => (200, guildId is null
            ? Json($$"""{"id":"{{channelId}}","type":1,"recipients":[]}""")
            : Json($$"""{"id":"{{channelId}}","type":0,"guild_id":"{{guildId}}","name":"general"}"""), null));

    private int RequestsExcept(string method) => Api.Requests.Count(r => r.Method != method);

    [Theory]
    [InlineData("DISCORD_LIST_CHANNELS", "81384788765712384")]      // someone else's server
    [InlineData("DISCORD_CREATE_CHANNEL", "81384788765712384")]
    [InlineData("DISCORD_LIST_CHANNELS", "080351110224678912")]     // the bound id spelled another way is not the bound id
    [InlineData("DISCORD_LIST_CHANNELS", "80351110224678912%2F..")]
    public async Task The_platform_bot_refuses_another_guild_and_discord_receives_nothing(string tool, string guild)
    {
        var before = Api.Requests.Count;
        var refused = await JsonAssert.ErrorAsync(await discord.PostExecuteAsync(tool,
            tool == "DISCORD_CREATE_CHANNEL" ? new { guild_id = guild, name = "pwned" } : new { guild_id = guild }), HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains(DiscordToolkitFixture.BoundGuild, refused.GetProperty("message").GetString());
        Assert.Equal(before, Api.Requests.Count);
    }

    [Theory]
    [InlineData("another-guild")]
    [InlineData("direct-message")]
    [InlineData("unknown")]
    public async Task The_platform_bot_posts_only_in_channels_of_the_bound_guild(string kind)
    {
        const string channel = "555000000000000001";
        switch (kind)
        {
            case "another-guild": ChannelIn(channel, "81384788765712384"); break;
            case "direct-message": ChannelIn(channel, null); break;
            default: Api.On("GET", $"/api/v10/channels/{channel}", _ => (404, Json("""{"message":"Unknown Channel","code":10003}"""), null)); break;
        }
        Api.On("POST", $"/api/v10/channels/{channel}/messages", _ => (200, Json("""{"id":"1"}"""), null));
        var posts = RequestsExcept("GET");
        await JsonAssert.ErrorAsync(await discord.PostExecuteAsync("DISCORD_SEND_MESSAGE", new { channel_id = channel, content = "spam" }), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(posts, RequestsExcept("GET")); // only the channel lookup reached Discord, never the message
        Assert.DoesNotContain(Api.Requests, r => r.Method == "POST" && r.Path.EndsWith("/messages"));
    }

    [Fact]
    public async Task A_connection_bound_to_no_guild_cannot_use_the_platform_bot_but_its_own_bot_token_can()
    {
        var connectionId = await discord.ConnectAsync("discord", "unbound");
        await using (var scope = discord.Portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
            var protector = scope.ServiceProvider.GetRequiredService<CredentialProtector>();
            var connection = await db.Connections.SingleAsync(c => c.Id == connectionId);
            var credentials = protector.Unprotect(connection.AppId, connection.Id, connection.Credentials);
            Assert.Equal(DiscordToolkitFixture.BoundGuild, credentials.Extra![DiscordBotTool.GuildKey]); // learnt from the token answer
            // As if connected without the bot scope: Discord named no server.
            connection.Credentials = protector.Protect(connection.AppId, connection.Id, credentials with { Extra = null });
            await db.SaveChangesAsync();
        }
        var before = Api.Requests.Count;
        var refused = await JsonAssert.ErrorAsync(await discord.PostExecuteAsync("DISCORD_LIST_CHANNELS", new { guild_id = DiscordToolkitFixture.BoundGuild }, "unbound"),
            HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("bot", refused.GetProperty("message").GetString());
        Assert.Equal(before, Api.Requests.Count);
    }
}
