using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Discord channel and message endpoints act as the application's bot: they take the bot token as
/// `Authorization: Bot {token}` (https://discord.com/developers/docs/reference#authentication), not the user's OAuth
/// bearer token, which only reaches user endpoints such as /users/@me/guilds. The token is the connection's
/// `bot_token` field, else the platform's `Butterbase:Toolkits:discord:BotToken`; it replaces the Authorization header
/// the connection's scheme put on the request.
/// </summary>
public abstract class DiscordBotTool(IConfiguration configuration) : CodedTool
{
    public const string ConfigurationKey = "Butterbase:Toolkits:discord:BotToken";

    public sealed override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var token = credentials.Fields?.GetValueOrDefault("bot_token") is { Length: > 0 } own ? own : configuration[ConfigurationKey];
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
public sealed class DiscordSendMessage(IConfiguration configuration) : DiscordBotTool(configuration)
{
    public override IEnumerable<string> Names => ["DISCORD_SEND_MESSAGE"];

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
public sealed class DiscordListChannels(IConfiguration configuration) : DiscordBotTool(configuration)
{
    public override IEnumerable<string> Names => ["DISCORD_LIST_CHANNELS"];

    protected override HttpRequestMessage BuildRequest(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl) =>
        ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);

    public override ToolOutcome Read(JsonNode? body) =>
        new(true, body is JsonArray channels ? new JsonArray(channels.Select(c => (JsonNode)Channel(c)).ToArray()) : body);
}

/// <summary>Create guild channel (https://discord.com/developers/docs/resources/guild#create-guild-channel); needs Manage Channels.</summary>
public sealed class DiscordCreateChannel(IConfiguration configuration) : DiscordBotTool(configuration)
{
    public override IEnumerable<string> Names => ["DISCORD_CREATE_CHANNEL"];

    protected override HttpRequestMessage BuildRequest(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl) =>
        ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);

    public override ToolOutcome Read(JsonNode? body) => new(true, body is JsonObject channel ? Channel(channel).Also(c => c["guild_id"] = channel["guild_id"]?.DeepClone()) : body);
}
