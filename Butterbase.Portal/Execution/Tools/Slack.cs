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
    public override IEnumerable<string> Names =>
    [
        "SLACK_SEND_MESSAGE", "SLACK_CREATE_CHANNEL", "SLACK_LIST_CHANNELS", "SLACK_LIST_USERS", "SLACK_INVITE_TO_CHANNEL",
        "SLACK_FIND_USER_BY_EMAIL", "SLACK_GET_USER_INFO", "SLACK_ARCHIVE_CHANNEL", "SLACK_RENAME_CHANNEL", "SLACK_SET_CHANNEL_TOPIC",
        "SLACK_GET_CHANNEL_HISTORY", "SLACK_GET_THREAD_REPLIES", "SLACK_ADD_REACTION", "SLACK_REMOVE_REACTION",
    ];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        // conversations.invite takes `users` as a comma-separated string (https://api.slack.com/methods/conversations.invite);
        // arrays are accepted from callers.
        if (parameters["users"] is JsonArray users) parameters["users"] = string.Join(",", Strings(parameters, "users"));
        return ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);
    }

    public override ToolOutcome Read(JsonNode? body) => ReadSlack(body);

    /// <summary>
    /// `ok:false` is a failure; `missing_scope` names the scopes the method wants in `needed` (comma-separated,
    /// https://api.slack.com/web#evaluating_responses), which become the result's missing scopes and reconnect link.
    /// </summary>
    internal static ToolOutcome ReadSlack(JsonNode? body)
    {
        if (body?["ok"] is not JsonValue ok || !ok.TryGetValue<bool>(out var isOk) || isOk) return new ToolOutcome(true, body);
        var error = body["error"] is JsonValue e && e.TryGetValue<string>(out var text) ? text : "error";
        if (error == "missing_scope")
        {
            var needed = body["needed"] is JsonValue n && n.TryGetValue<string>(out var list)
                ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            return new ToolOutcome(false, body, "insufficient_scope",
                $"Slack answered missing_scope: the token lacks {(needed.Length > 0 ? string.Join(" or ", needed) : "a scope this method needs")}.", needed.Length > 0 ? needed : null);
        }
        return new ToolOutcome(false, body, error == "ratelimited" ? "rate_limited" : "upstream_error", $"Slack answered: {error}");
    }
}

/// <summary>
/// Slack file upload in Slack's three steps (https://api.slack.com/messaging/files#uploading_files):
/// files.getUploadURLExternal (form-encoded `filename`, `length`) answers `upload_url` and `file_id`; the bytes are POSTed
/// to upload_url; files.completeUploadExternal (JSON `files: [{id, title}]`, `channel_id`, `thread_ts`, `initial_comment`)
/// finishes and shares. The upload URL comes from Slack's answer, so the bytes go only to Slack's file host (or the
/// toolkit's own API host) and never with the token.
/// </summary>
public sealed class SlackUploadFile : CodedTool
{
    public const int MaxBytes = 5 * 1024 * 1024;
    private static readonly HttpRequestOptionsKey<JsonObject> Upload = new("butterbase.slack.upload");
    private static readonly HttpRequestOptionsKey<byte[]> Bytes = new("butterbase.slack.bytes");

    public override IEnumerable<string> Names => ["SLACK_UPLOAD_FILE"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var content = parameters["content"] is JsonValue c && c.TryGetValue<string>(out var s) ? s : "";
        byte[] bytes;
        if (Flag(parameters, "content_base64"))
        {
            try { bytes = Convert.FromBase64String(new string(content.Where(ch => !char.IsWhiteSpace(ch)).ToArray())); }
            catch (FormatException) { throw new InvalidToolParameter("content", "content_base64 is true but content is not valid base64."); }
        }
        else bytes = System.Text.Encoding.UTF8.GetBytes(content);
        if (bytes.Length == 0) throw new InvalidToolParameter("content", "The file is empty; Slack does not take empty files.");
        if (bytes.Length > MaxBytes) throw new InvalidToolParameter("content", $"This tool uploads files up to {MaxBytes / 1024 / 1024} MB.");
        var filename = Text(parameters, "filename") ?? throw new InvalidToolParameter("filename", "Give the file name.");

        var first = tool with { Path = "/files.getUploadURLExternal", In = [], ContentType = "application/x-www-form-urlencoded" };
        var request = Declarative(toolkit, first, new JsonObject(), credentials, apiBaseUrl);
        request.Content = new FormUrlEncodedContent([new("filename", filename), new("length", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var complete = new JsonObject { ["url"] = Declarative(toolkit, tool with { In = [] }, new JsonObject(), credentials, apiBaseUrl).RequestUri!.ToString() };
        foreach (var name in (string[])["title", "channel_id", "thread_ts", "initial_comment"])
            if (Text(parameters, name) is { } value) complete[name] = value;
        complete["title"] ??= filename;
        request.Options.Set(Upload, complete);
        request.Options.Set(Bytes, bytes);
        return request;
    }

    public override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Func<HttpRequestMessage, Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        var step1 = await send(request);
        if (!step1.IsSuccessStatusCode || !request.Options.TryGetValue(Upload, out var complete) || !request.Options.TryGetValue(Bytes, out var bytes)) return step1;
        var text = await step1.Content.ReadAsStringAsync(ct);
        JsonNode? answer;
        try { answer = JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException) { answer = null; }
        if (answer?["ok"]?.GetValue<bool>() != true) return Answer(request, (int)step1.StatusCode, answer ?? new JsonObject { ["ok"] = false, ["error"] = "invalid_response" });
        step1.Dispose();
        var uploadUrl = answer["upload_url"]?.GetValue<string>();
        var fileId = answer["file_id"]?.GetValue<string>();
        if (fileId is null || !Uri.TryCreate(uploadUrl, UriKind.Absolute, out var target) || !SlackHost(target, request.RequestUri!))
            return Answer(request, 200, new JsonObject { ["ok"] = false, ["error"] = "upload_url_refused" });

        // No Authorization: the URL is Slack's own signed upload address.
        var bytesContent = new ByteArrayContent(bytes);
        bytesContent.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using var upload = new HttpRequestMessage(HttpMethod.Post, target) { Content = bytesContent };
        ToolRequest.CopyOptions(request, upload);
        using (var uploaded = await send(upload))
            if (!uploaded.IsSuccessStatusCode)
                return Answer(request, 200, new JsonObject { ["ok"] = false, ["error"] = "upload_failed", ["upload_status"] = (int)uploaded.StatusCode });

        var finish = new JsonObject { ["files"] = new JsonArray(new JsonObject { ["id"] = fileId, ["title"] = complete["title"]?.DeepClone() }) };
        foreach (var name in (string[])["channel_id", "thread_ts", "initial_comment"])
            if (complete[name] is { } value) finish[name] = value.DeepClone();
        var last = FollowUp(request, HttpMethod.Post, complete["url"]!.GetValue<string>(),
            new StringContent(finish.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        return await send(last);
    }

    /// <summary>Slack's file host, or the host the toolkit's API is on (a stand-in, a proxy the operator set as the API base).</summary>
    private static bool SlackHost(Uri target, Uri api) =>
        target.Scheme == Uri.UriSchemeHttps && string.Equals(target.Host, "files.slack.com", StringComparison.OrdinalIgnoreCase)
        || target.Scheme == api.Scheme && string.Equals(target.Authority, api.Authority, StringComparison.OrdinalIgnoreCase);

    public override ToolOutcome Read(JsonNode? body) => SlackMethod.ReadSlack(body);
}
