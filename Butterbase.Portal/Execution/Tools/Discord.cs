using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Discord channel and message endpoints act as the application's bot: they take the bot token as
/// `Authorization: Bot {token}` (https://discord.com/developers/docs/reference#authentication), not the user's OAuth
/// bearer token, which only reaches user endpoints such as /users/@me/guilds. The token is the connection's
/// `bot_token` field, else the platform's `Butterbase:Toolkits:discord:BotToken`; it replaces the Authorization header
/// the connection's scheme put on the request.
/// The platform's bot is shared by every tenant (docs/security.md [35]): with it a call may act only in the server the
/// connection's user added the bot to — the `guild` Discord returns with the token when the `bot` scope is granted
/// (https://discord.com/developers/docs/topics/oauth2#advanced-bot-authorization-extended-bot-authorization-access-token-example),
/// kept as <see cref="GuildKey"/>. A connection's own bot token acts wherever that bot is.
/// </summary>
public abstract class DiscordBotTool(IOptionsMonitor<ToolkitSettingsBySlug> settings) : CodedTool
{
    public const string ConfigurationKey = "Butterbase:Toolkits:discord:BotToken";
    /// <summary>The server the connection is bound to, in <see cref="StoredCredentials.Extra"/>.</summary>
    public const string GuildKey = "discord_guild_id";

    private string? PlatformToken => settings.CurrentValue.For("discord").BotToken;

    private static string? OwnToken(StoredCredentials credentials) => credentials.Fields?.GetValueOrDefault("bot_token") is { Length: > 0 } own ? own : null;

    /// <summary>The guild this call acts in; <paramref name="lookup"/> GETs a Discord path with the bot token.</summary>
    protected abstract Task<(string? GuildId, string? Problem)> TargetGuildAsync(JsonObject parameters, Func<string, Task<JsonNode?>> lookup);

    public sealed override async Task<string?> RefuseAsync(JsonObject parameters, StoredCredentials credentials, string apiBaseUrl, HttpClient http, CancellationToken ct)
    {
        if (OwnToken(credentials) is not null || PlatformToken is not { } platform) return null;
        if (credentials.Extra?.GetValueOrDefault(GuildKey) is not { Length: > 0 } bound)
            return "This connection is not bound to a Discord server, so the platform's bot cannot act for it: reconnect with the `bot` scope "
                + "(the user picks the server to add the bot to), or give the connection its own bot_token.";
        async Task<JsonNode?> Lookup(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, apiBaseUrl.TrimEnd('/') + path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bot", platform.Trim());
            // REVIEW: an unanswered lookup refuses the call (403) rather than acting unchecked; the caller may retry.
            try
            {
                using var response = await http.SendAsync(request, ct);
                return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) : null;
            }
            catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException && !ct.IsCancellationRequested) { return null; }
        }
        var (guild, problem) = await TargetGuildAsync(parameters, Lookup);
        if (problem is not null) return problem;
        return guild == bound ? null
            : $"The platform's Discord bot acts only in the server this connection added it to ({bound}); this call targets another server.";
    }

    public sealed override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var token = OwnToken(credentials) ?? PlatformToken;
        if (string.IsNullOrWhiteSpace(token))
            throw new ConnectionIncomplete("bot_token",
                $"{tool.Name} runs as a Discord bot, and no bot token is set: add the bot_token field to the connection, or configure {ConfigurationKey} on the server.");
        var request = BuildRequest(toolkit, tool, parameters, credentials, apiBaseUrl);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bot", token.Trim());
        return request;
    }

    protected abstract HttpRequestMessage BuildRequest(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl);

    protected static JsonObject Channel(JsonNode? channel) => new()
    {
        ["id"] = channel?["id"]?.DeepClone(),
        ["name"] = channel?["name"]?.DeepClone(),
        ["type"] = channel?["type"]?.DeepClone(),
        ["parent_id"] = channel?["parent_id"]?.DeepClone(),
        ["position"] = channel?["position"]?.DeepClone(),
        ["topic"] = channel?["topic"]?.DeepClone(),
    };
}

/// <summary>
/// Create message (https://discord.com/developers/docs/resources/message#create-message): `reply_to_message_id`
/// becomes a `message_reference` that still posts if the original was deleted. Returns the message's id, channel,
/// text, time and author.
/// </summary>
public sealed class DiscordSendMessage(IOptionsMonitor<ToolkitSettingsBySlug> settings) : DiscordBotTool(settings)
{
    public override IEnumerable<string> Names => ["DISCORD_SEND_MESSAGE"];

    /// <summary>A channel id says nothing about its server: ask Discord (https://discord.com/developers/docs/resources/channel#get-channel).</summary>
    protected override async Task<(string? GuildId, string? Problem)> TargetGuildAsync(JsonObject parameters, Func<string, Task<JsonNode?>> lookup)
    {
        var channel = await lookup("/channels/" + Uri.EscapeDataString(Text(parameters, "channel_id") ?? ""));
        return channel?["guild_id"] is JsonValue value && value.TryGetValue<string>(out var guild) && guild.Length > 0
            ? (guild, null)
            : (null, "The platform's Discord bot posts only in channels of the server this connection added it to; this channel is not one of them (or Discord did not confirm it).");
    }

    protected override HttpRequestMessage BuildRequest(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var message = new JsonObject { ["content"] = Text(parameters, "content") ?? "" };
        if (Flag(parameters, "tts")) message["tts"] = true;
        if (Text(parameters, "reply_to_message_id") is { } replyTo)
            message["message_reference"] = new JsonObject { ["message_id"] = replyTo, ["fail_if_not_exists"] = false };
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, message);
    }

    public override ToolOutcome Read(JsonNode? body) => new(true, body is not JsonObject message ? body : new JsonObject
    {
        ["id"] = message["id"]?.DeepClone(),
        ["channel_id"] = message["channel_id"]?.DeepClone(),
        ["content"] = message["content"]?.DeepClone(),
        ["timestamp"] = message["timestamp"]?.DeepClone(),
        ["author"] = message["author"] is JsonObject author
            ? new JsonObject { ["id"] = author["id"]?.DeepClone(), ["username"] = author["username"]?.DeepClone(), ["bot"] = author["bot"]?.DeepClone() }
            : null,
    });
}

/// <summary>Get guild channels (https://discord.com/developers/docs/resources/guild#get-guild-channels), without permission overwrites.</summary>
public sealed class DiscordListChannels(IOptionsMonitor<ToolkitSettingsBySlug> settings) : DiscordBotTool(settings)
{
    public override IEnumerable<string> Names => ["DISCORD_LIST_CHANNELS"];

    protected override Task<(string? GuildId, string? Problem)> TargetGuildAsync(JsonObject parameters, Func<string, Task<JsonNode?>> lookup) =>
        Task.FromResult<(string?, string?)>((Text(parameters, "guild_id"), null));

    protected override HttpRequestMessage BuildRequest(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl) =>
        ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);

    public override ToolOutcome Read(JsonNode? body) =>
        new(true, body is JsonArray channels ? new JsonArray(channels.Select(c => (JsonNode)Channel(c)).ToArray()) : body);
}

/// <summary>Create guild channel (https://discord.com/developers/docs/resources/guild#create-guild-channel); needs Manage Channels.</summary>
public sealed class DiscordCreateChannel(IOptionsMonitor<ToolkitSettingsBySlug> settings) : DiscordBotTool(settings)
{
    public override IEnumerable<string> Names => ["DISCORD_CREATE_CHANNEL"];

    protected override Task<(string? GuildId, string? Problem)> TargetGuildAsync(JsonObject parameters, Func<string, Task<JsonNode?>> lookup) =>
        Task.FromResult<(string?, string?)>((Text(parameters, "guild_id"), null));

    protected override HttpRequestMessage BuildRequest(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl) =>
        ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);

    public override ToolOutcome Read(JsonNode? body) => new(true, body is JsonObject channel ? Channel(channel).Also(c => c["guild_id"] = channel["guild_id"]?.DeepClone()) : body);
}

/// <summary>
/// The other bot endpoints, declarative but for the bot token and the shared bot's server check: a call with `guild_id`
/// targets that server; one with only `channel_id` targets the channel's server, which Discord is asked for (as
/// <see cref="DiscordSendMessage"/> does). Roles (https://discord.com/developers/docs/resources/guild#get-guild-roles),
/// members (#list-guild-members, #get-guild-member, #add-guild-member-role), channels (resources/channel#modify-channel,
/// #deleteclose-channel), messages (resources/message#get-channel-messages) and the server itself (#get-guild).
/// </summary>
public sealed class DiscordBotMethod(IOptionsMonitor<ToolkitSettingsBySlug> settings) : DiscordBotTool(settings)
{
    public override IEnumerable<string> Names =>
    [
        "DISCORD_GET_GUILD", "DISCORD_EDIT_CHANNEL", "DISCORD_DELETE_CHANNEL", "DISCORD_LIST_MESSAGES", "DISCORD_LIST_ROLES", "DISCORD_CREATE_ROLE",
        "DISCORD_DELETE_ROLE", "DISCORD_ADD_MEMBER_ROLE", "DISCORD_REMOVE_MEMBER_ROLE", "DISCORD_LIST_MEMBERS", "DISCORD_GET_MEMBER",
    ];

    protected override async Task<(string? GuildId, string? Problem)> TargetGuildAsync(JsonObject parameters, Func<string, Task<JsonNode?>> lookup)
    {
        if (Text(parameters, "guild_id") is { } guild) return (guild, null);
        var channel = await lookup("/channels/" + Uri.EscapeDataString(Text(parameters, "channel_id") ?? ""));
        return channel?["guild_id"] is JsonValue value && value.TryGetValue<string>(out var id) && id.Length > 0
            ? (id, null)
            : (null, "The platform's Discord bot acts only in channels of the server this connection added it to; this channel is not one of them (or Discord did not confirm it).");
    }

    protected override HttpRequestMessage BuildRequest(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl) =>
        ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);
}
