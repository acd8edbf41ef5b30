using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using MimeKit;

namespace Butterbase.Portal.Execution;

/// <summary>What a tool run produced, before it is wrapped in the API's result envelope.</summary>
public sealed record ToolOutcome(bool Successful, JsonNode? Data, string? ErrorCode = null, string? ErrorMessage = null);

/// <summary>
/// A curated tool whose request or result needs real work (DESIGN.md "Providers and the catalog").
/// It builds the provider request from validated parameters and reads the provider's answer.
/// </summary>
public abstract class CodedTool
{
    public abstract IEnumerable<string> Names { get; }

    public abstract HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl);

    /// <summary>Reads a 2xx answer; the default passes the provider's JSON through.</summary>
    public virtual ToolOutcome Read(JsonNode? body) => new(true, body);

    protected static string? Text(JsonObject parameters, string name) =>
        parameters[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    /// <summary>A declarative request with the given parameters and an optional replacement body.</summary>
    protected static HttpRequestMessage Declarative(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl, JsonNode? body = null)
    {
        var request = ToolRequest.Build(toolkit, tool with { In = tool.In.Where(p => p.Value != "body").ToDictionary() },
            new JsonObject(parameters.Where(p => tool.In.GetValueOrDefault(p.Key) is "path" or "query" or "header").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))),
            credentials, apiBaseUrl);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return request;
    }
}

/// <summary>
/// Gmail send: an RFC 5322 message built with MimeKit (encoded headers, UTF-8 body), base64url-encoded in
/// `raw` (https://developers.google.com/gmail/api/reference/rest/v1/users.messages/send). Returns `messageId`.
/// </summary>
public sealed class GmailSendEmail : CodedTool
{
    public override IEnumerable<string> Names => ["GMAIL_SEND_EMAIL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("", "me")); // Gmail sets the authenticated sender
        Addresses(message.To, Text(parameters, "to"), "to");
        Addresses(message.Cc, Text(parameters, "cc"), "cc");
        Addresses(message.Bcc, Text(parameters, "bcc"), "bcc");
        message.Subject = Text(parameters, "subject") ?? "";
        var html = parameters["is_html"] is JsonValue h && h.TryGetValue<bool>(out var isHtml) && isHtml;
        message.Body = new TextPart(html ? "html" : "plain") { Text = Text(parameters, "body") ?? "" };
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        var raw = Convert.ToBase64String(stream.ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["raw"] = raw });
    }

    private static void Addresses(InternetAddressList list, string? value, string field)
    {
        if (value is null) return;
        if (!InternetAddressList.TryParse(value, out var parsed) || parsed.Count == 0)
            throw new InvalidToolParameter(field, "Give one or more email addresses, separated by commas.");
        list.AddRange(parsed);
    }

    public override ToolOutcome Read(JsonNode? body) => new(true, new JsonObject
    {
        ["messageId"] = body?["id"]?.DeepClone(),
        ["threadId"] = body?["threadId"]?.DeepClone(),
        ["labelIds"] = body?["labelIds"]?.DeepClone(),
    });
}

/// <summary>
/// Slack Web API methods: parameters go as a JSON body (POST) or query (GET) and Slack answers HTTP 200
/// with `ok:false` on failure (https://api.slack.com/web#evaluating_responses), mapped to a failed result.
/// </summary>
public sealed class SlackMethod : CodedTool
{
    public override IEnumerable<string> Names => ["SLACK_SEND_MESSAGE", "SLACK_CREATE_CHANNEL", "SLACK_LIST_CHANNELS", "SLACK_LIST_USERS", "SLACK_INVITE_TO_CHANNEL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        // conversations.invite takes `users` as a comma-separated string; arrays are accepted from callers.
        if (parameters["users"] is JsonArray users) parameters["users"] = string.Join(",", users.Select(u => u?.GetValue<string>()));
        return ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);
    }

    public override ToolOutcome Read(JsonNode? body) =>
        body?["ok"] is JsonValue ok && ok.TryGetValue<bool>(out var isOk) && !isOk
            ? new ToolOutcome(false, body, body?["error"]?.GetValue<string>() is "ratelimited" ? "rate_limited" : "upstream_error",
                $"Slack answered: {body?["error"]?.GetValue<string>() ?? "error"}")
            : new ToolOutcome(true, body);
}

/// <summary>Google Calendar events list; `calendarId` defaults to the user's primary calendar.</summary>
public sealed class GoogleCalendarEventsList : CodedTool
{
    public override IEnumerable<string> Names => ["GOOGLECALENDAR_EVENTS_LIST"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        parameters["calendarId"] ??= "primary";
        parameters["singleEvents"] ??= tool.In.ContainsKey("singleEvents") ? true : null;
        return ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);
    }
}

/// <summary>HubSpot CRM create: flat parameters become `{ "properties": { ... } }` (https://developers.hubspot.com/docs/api/crm/contacts).</summary>
public sealed class HubSpotCreate : CodedTool
{
    public override IEnumerable<string> Names => ["HUBSPOT_CREATE_CONTACT", "HUBSPOT_CREATE_COMPANY", "HUBSPOT_CREATE_DEAL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var properties = new JsonObject();
        foreach (var (name, value) in parameters)
            if (value is not null && tool.In.GetValueOrDefault(name) == "body") properties[name] = value.DeepClone();
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["properties"] = properties });
    }
}

/// <summary>Notion create page: a title and plain-text content become a page with paragraph blocks (https://developers.notion.com/reference/post-page).</summary>
public sealed class NotionCreatePage : CodedTool
{
    public override IEnumerable<string> Names => ["NOTION_CREATE_PAGE"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var parentId = Text(parameters, "parent_id") ?? throw new InvalidToolParameter("parent_id", "Give the parent page or database id.");
        var isDatabase = Text(parameters, "parent_type") == "database";
        var title = new JsonArray(new JsonObject { ["text"] = new JsonObject { ["content"] = Text(parameters, "title") ?? "" } });
        var page = new JsonObject
        {
            ["parent"] = isDatabase ? new JsonObject { ["database_id"] = parentId } : new JsonObject { ["page_id"] = parentId },
            ["properties"] = isDatabase ? new JsonObject { ["Name"] = new JsonObject { ["title"] = title } } : new JsonObject { ["title"] = new JsonObject { ["title"] = title } },
        };
        if (Text(parameters, "content") is { } content)
            page["children"] = new JsonArray(content.Split("\n\n").Take(100).Select(p => (JsonNode)new JsonObject
            {
                ["object"] = "block", ["type"] = "paragraph",
                ["paragraph"] = new JsonObject { ["rich_text"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = new JsonObject { ["content"] = p } }) },
            }).ToArray());
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, page);
    }
}

/// <summary>Outlook send mail via Microsoft Graph `/me/sendMail` (https://learn.microsoft.com/graph/api/user-sendmail), 202 with no body.</summary>
public sealed class OutlookSendEmail : CodedTool
{
    public override IEnumerable<string> Names => ["OUTLOOK_SEND_EMAIL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        static JsonArray Recipients(string? list) => new((list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => (JsonNode)new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = a } }).ToArray());
        var html = parameters["is_html"] is JsonValue h && h.TryGetValue<bool>(out var isHtml) && isHtml;
        var message = new JsonObject
        {
            ["subject"] = Text(parameters, "subject") ?? "",
            ["body"] = new JsonObject { ["contentType"] = html ? "HTML" : "Text", ["content"] = Text(parameters, "body") ?? "" },
            ["toRecipients"] = Recipients(Text(parameters, "to")),
        };
        if (Text(parameters, "cc") is { } cc) message["ccRecipients"] = Recipients(cc);
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["message"] = message, ["saveToSentItems"] = true });
    }

    public override ToolOutcome Read(JsonNode? body) => new(true, new JsonObject { ["sent"] = true });
}

/// <summary>GitHub file contents: the base64 `content` decoded to text (https://docs.github.com/rest/repos/contents).</summary>
public sealed class GitHubGetFileContents : CodedTool
{
    public override IEnumerable<string> Names => ["GITHUB_GET_FILE_CONTENTS"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        // A file path keeps its slashes: escape each segment, not the whole path.
        var path = Text(parameters, "path") ?? "";
        if (path.Split('/').Any(s => s is ".." or "."))
            throw new InvalidToolParameter("path", "This value cannot be used in the request path.");
        var request = ToolRequest.Build(toolkit, tool, parameters.Also(p => p["path"] = "__PATH__"), credentials, apiBaseUrl);
        request.RequestUri = new Uri(request.RequestUri!.ToString().Replace("__PATH__", string.Join("/", path.Split('/').Select(Uri.EscapeDataString))));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        return request;
    }

    public override ToolOutcome Read(JsonNode? body)
    {
        if (body is JsonObject file && file["encoding"]?.GetValue<string>() == "base64" && file["content"]?.GetValue<string>() is { } content)
        {
            var bytes = Convert.FromBase64String(content.Replace("\n", ""));
            var copy = (JsonObject)file.DeepClone();
            copy["content"] = Encoding.UTF8.GetString(bytes);
            copy["encoding"] = "utf-8";
            return new(true, copy);
        }
        return new(true, body);
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject source, Action<JsonObject> change)
    {
        var copy = (JsonObject)source.DeepClone();
        change(copy);
        return copy;
    }
}
