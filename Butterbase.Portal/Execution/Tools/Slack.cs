using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Slack Web API methods: parameters go as a JSON body (POST) or query (GET) and Slack answers HTTP 200
/// with `ok:false` on failure (https://api.slack.com/web#evaluating_responses), mapped to a failed result.
/// </summary>
public sealed class SlackMethod : CodedTool
{
    public override IEnumerable<string> Names => ["SLACK_SEND_MESSAGE", "SLACK_CREATE_CHANNEL", "SLACK_LIST_CHANNELS", "SLACK_LIST_USERS", "SLACK_INVITE_TO_CHANNEL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        // conversations.invite takes `users` as a comma-separated string (https://api.slack.com/methods/conversations.invite);
        // arrays are accepted from callers.
        if (parameters["users"] is JsonArray users) parameters["users"] = string.Join(",", Strings(parameters, "users"));
        return ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);
    }

    public override ToolOutcome Read(JsonNode? body) =>
        body?["ok"] is JsonValue ok && ok.TryGetValue<bool>(out var isOk) && !isOk
            ? new ToolOutcome(false, body, body?["error"]?.GetValue<string>() is "ratelimited" ? "rate_limited" : "upstream_error",
                $"Slack answered: {body?["error"]?.GetValue<string>() ?? "error"}")
            : new ToolOutcome(true, body);
}
