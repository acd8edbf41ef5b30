using System.Globalization;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using MimeKit;

namespace Butterbase.Portal.Execution;

/// <summary>Microsoft Graph shapes shared by the Outlook tools.</summary>
internal static class Graph
{
    /// <summary>"Ann &lt;ann@example.com&gt;, bob@example.com" → Graph recipients `[{ emailAddress: { address, name? } }]`.</summary>
    public static JsonArray Recipients(IEnumerable<string> lists, string field, string? type = null)
    {
        var list = new InternetAddressList();
        foreach (var value in lists) GmailSendEmail.Addresses(list, value, field);
        return new JsonArray(list.Mailboxes.Select(m =>
        {
            var address = new JsonObject { ["address"] = m.Address };
            if (!string.IsNullOrEmpty(m.Name)) address["name"] = m.Name;
            var recipient = new JsonObject { ["emailAddress"] = address };
            if (type is not null) recipient["type"] = type;
            return (JsonNode)recipient;
        }).ToArray());
    }

    /// <summary>
    /// `Prefer: outlook.timezone="..."` makes Graph answer times in that zone instead of UTC
    /// (https://learn.microsoft.com/graph/api/user-list-calendarview#request-headers).
    /// </summary>
    public static void PreferTimeZone(HttpRequestMessage request, string? timeZone, string field)
    {
        if (timeZone is null) return;
        if (timeZone.Any(c => c == '"' || c == '\\' || char.IsControl(c)))
            throw new InvalidToolParameter(field, "Give a time zone name such as Europe/Paris or Pacific Standard Time.");
        request.Headers.TryAddWithoutValidation("Prefer", $"outlook.timezone=\"{timeZone}\"");
    }
}

/// <summary>Outlook send mail via Microsoft Graph `/me/sendMail` (https://learn.microsoft.com/graph/api/user-sendmail), 202 with no body.</summary>
public sealed class OutlookSendEmail : CodedTool
{
    public override IEnumerable<string> Names => ["OUTLOOK_SEND_EMAIL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var message = new JsonObject
        {
            ["subject"] = Text(parameters, "subject") ?? "",
            ["body"] = new JsonObject { ["contentType"] = Flag(parameters, "is_html") ? "HTML" : "Text", ["content"] = Text(parameters, "body") ?? "" },
            ["toRecipients"] = Graph.Recipients([Text(parameters, "to") ?? ""], "to"),
        };
        if (Text(parameters, "cc") is { } cc) message["ccRecipients"] = Graph.Recipients([cc], "cc");
        if (Text(parameters, "bcc") is { } bcc) message["bccRecipients"] = Graph.Recipients([bcc], "bcc");
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["message"] = message, ["saveToSentItems"] = true });
    }

    public override ToolOutcome Read(JsonNode? body) => new(true, new JsonObject { ["sent"] = true });
}

/// <summary>
/// Outlook messages: `/me/messages`, or `/me/mailFolders/{folder}/messages` for one folder (well-known names such as
/// inbox work as ids), with OData `$top`, `$skip`, `$search`, `$filter` and a `$select` that leaves bodies out
/// (https://learn.microsoft.com/graph/api/user-list-messages). Newest first via `$orderby` only without a filter or
/// search: Graph refuses `$orderby` on properties missing from `$filter`, and ranks `$search` results itself
/// (https://learn.microsoft.com/graph/search-query-parameter#using-search-on-message-collections).
/// </summary>
public sealed class OutlookListMessages : CodedTool
{
    private const string Select = "id,subject,from,toRecipients,receivedDateTime,bodyPreview,isRead,hasAttachments,webLink,conversationId";

    public override IEnumerable<string> Names => ["OUTLOOK_LIST_MESSAGES"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var folder = Text(parameters, "folder");
        var search = Text(parameters, "search");
        var filter = Text(parameters, "filter");
        if (search is not null && filter is not null)
            throw new InvalidToolParameter("search", "Give search or filter, not both: Graph does not combine $search with $filter on messages.");
        var path = tool with { Path = folder is null ? "/me/messages" : "/me/mailFolders/{folder}/messages", In = new() { ["folder"] = "path" } };
        var request = ToolRequest.Build(toolkit, path, new JsonObject { ["folder"] = folder }, credentials, apiBaseUrl);
        AddQuery(request,
            ("$top", Number(parameters, "top")),
            ("$skip", Number(parameters, "skip")),
            // KQL goes in double quotes, inner ones escaped (https://learn.microsoft.com/graph/search-query-parameter).
            ("$search", search is null ? null : "\"" + search.Trim('"').Replace("\"", "\\\"") + "\""),
            ("$filter", filter),
            ("$orderby", search is null && filter is null ? "receivedDateTime desc" : null),
            ("$select", Select));
        return request;
    }

    internal static string? Number(JsonObject parameters, string name) =>
        parameters[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n.ToString(CultureInfo.InvariantCulture) : null;
}

/// <summary>
/// Outlook calendar view: the events of the default calendar in a window, recurring ones expanded
/// (`GET /me/calendarView?startDateTime=&amp;endDateTime=`, https://learn.microsoft.com/graph/api/user-list-calendarview),
/// ordered by start, in the time zone asked for.
/// </summary>
public sealed class OutlookListEvents : CodedTool
{
    private const string Select = "id,subject,bodyPreview,start,end,location,organizer,attendees,isAllDay,isCancelled,isOnlineMeeting,onlineMeeting,webLink";

    public override IEnumerable<string> Names => ["OUTLOOK_LIST_EVENTS"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var request = ToolRequest.Build(toolkit, tool with { In = new() }, new JsonObject(), credentials, apiBaseUrl);
        AddQuery(request,
            ("startDateTime", Text(parameters, "startDateTime")),
            ("endDateTime", Text(parameters, "endDateTime")),
            ("$top", OutlookListMessages.Number(parameters, "top")),
            ("$orderby", "start/dateTime"),
            ("$select", Select));
        Graph.PreferTimeZone(request, Text(parameters, "timeZone"), "timeZone");
        return request;
    }
}

/// <summary>
/// Outlook create event (`POST /me/events`, https://learn.microsoft.com/graph/api/user-post-events): flat parameters
/// become Graph's event — `start`/`end` as `{dateTime, timeZone}` (UTC by default), `body`, `location.displayName`,
/// required `attendees`, and a Teams link with `isOnlineMeeting` + `onlineMeetingProvider: teamsForBusiness`.
/// </summary>
public sealed class OutlookCreateEvent : CodedTool
{
    public override IEnumerable<string> Names => ["OUTLOOK_CREATE_EVENT"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var timeZone = Text(parameters, "timeZone");
        var zone = timeZone ?? "UTC";
        var start = Time(Text(parameters, "startDateTime"), "startDateTime", timeZone);
        var end = Time(Text(parameters, "endDateTime"), "endDateTime", timeZone);
        var body = new JsonObject
        {
            ["subject"] = Text(parameters, "subject") ?? "",
            ["start"] = new JsonObject { ["dateTime"] = start, ["timeZone"] = zone },
            ["end"] = new JsonObject { ["dateTime"] = end, ["timeZone"] = zone },
        };
        if (Text(parameters, "body") is { } text)
            body["body"] = new JsonObject { ["contentType"] = Flag(parameters, "is_html") ? "HTML" : "Text", ["content"] = text };
        if (Text(parameters, "location") is { } location) body["location"] = new JsonObject { ["displayName"] = location };
        if (parameters["attendees"] is JsonArray) body["attendees"] = Graph.Recipients(Strings(parameters, "attendees"), "attendees", "required");
        if (Flag(parameters, "isOnlineMeeting"))
        {
            body["isOnlineMeeting"] = true;
            body["onlineMeetingProvider"] = "teamsForBusiness";
        }
        var request = Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, body);
        Graph.PreferTimeZone(request, timeZone, "timeZone");
        return request;
    }

    /// <summary>
    /// Graph wants a local time plus a zone name. A time given with an offset (2025-06-01T09:00:00+02:00) and no
    /// timeZone is turned into UTC (the default zone), so the instant is kept; with a timeZone the offset is dropped.
    /// </summary>
    internal static string Time(string? value, string field, string? timeZone)
    {
        if (value is null) throw new InvalidToolParameter(field, "Give a date and time such as 2025-06-01T09:00:00.");
        var hasOffset = value.Length > 19 && (value.EndsWith('Z') || value.EndsWith('z') || value[19..].Contains('+') || value[19..].Contains('-'));
        if (!hasOffset) return value;
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
            throw new InvalidToolParameter(field, "Give a date and time such as 2025-06-01T09:00:00.");
        return (timeZone is null ? instant.UtcDateTime : instant.DateTime).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
    }

    public override ToolOutcome Read(JsonNode? body) => new(true, body is not JsonObject ev ? body : new JsonObject
    {
        ["id"] = ev["id"]?.DeepClone(),
        ["webLink"] = ev["webLink"]?.DeepClone(),
        ["subject"] = ev["subject"]?.DeepClone(),
        ["start"] = ev["start"]?.DeepClone(),
        ["end"] = ev["end"]?.DeepClone(),
        ["location"] = ev["location"]?["displayName"]?.DeepClone(),
        ["attendees"] = ev["attendees"]?.DeepClone(),
        ["joinUrl"] = ev["onlineMeeting"]?["joinUrl"]?.DeepClone(),
    });
}

/// <summary>
/// Reply or reply all (https://learn.microsoft.com/graph/api/message-reply, .../message-replyall): `{ "comment" }`, 202
/// with no body; Outlook threads the reply and keeps it in Sent Items.
/// </summary>
public sealed class OutlookReply : CodedTool
{
    public override IEnumerable<string> Names => ["OUTLOOK_REPLY_TO_EMAIL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl) =>
        Declarative(toolkit, Flag(parameters, "reply_all") ? tool with { Path = tool.Path.Replace("/reply", "/replyAll") } : tool, parameters, credentials, apiBaseUrl,
            new JsonObject { ["comment"] = Text(parameters, "comment") ?? "" });

    public override ToolOutcome Read(JsonNode? body) => new(true, new JsonObject { ["sent"] = true });
}

/// <summary>Forward (https://learn.microsoft.com/graph/api/message-forward): `{ comment?, toRecipients }`, 202 with no body.</summary>
public sealed class OutlookForward : CodedTool
{
    public override IEnumerable<string> Names => ["OUTLOOK_FORWARD_EMAIL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var body = new JsonObject { ["toRecipients"] = Graph.Recipients([Text(parameters, "to") ?? ""], "to") };
        if (Text(parameters, "comment") is { } comment) body["comment"] = comment;
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, body);
    }

    public override ToolOutcome Read(JsonNode? body) => new(true, new JsonObject { ["sent"] = true });
}

/// <summary>
/// Update event (https://learn.microsoft.com/graph/api/event-update): only what is given is sent, in the shapes of
/// <see cref="OutlookCreateEvent"/>; a new start or end takes the time zone given (UTC by default).
/// </summary>
public sealed class OutlookUpdateEvent : CodedTool
{
    public override IEnumerable<string> Names => ["OUTLOOK_UPDATE_EVENT"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var timeZone = Text(parameters, "timeZone");
        var body = new JsonObject();
        if (Text(parameters, "subject") is { } subject) body["subject"] = subject;
        foreach (var (field, key) in (ReadOnlySpan<(string, string)>)[("startDateTime", "start"), ("endDateTime", "end")])
            if (Text(parameters, field) is { } time)
                body[key] = new JsonObject { ["dateTime"] = OutlookCreateEvent.Time(time, field, timeZone), ["timeZone"] = timeZone ?? "UTC" };
        if (Text(parameters, "body") is { } text)
            body["body"] = new JsonObject { ["contentType"] = Flag(parameters, "is_html") ? "HTML" : "Text", ["content"] = text };
        if (Text(parameters, "location") is { } location) body["location"] = new JsonObject { ["displayName"] = location };
        if (parameters["attendees"] is JsonArray) body["attendees"] = Graph.Recipients(Strings(parameters, "attendees"), "attendees", "required");
        if (body.Count == 0) throw new InvalidToolParameter("params", "Give at least one field to change.");
        var request = Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, body);
        Graph.PreferTimeZone(request, timeZone, "timeZone");
        return request;
    }
}
