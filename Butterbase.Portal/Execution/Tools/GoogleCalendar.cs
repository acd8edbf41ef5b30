using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Google Calendar events list: `calendarId` defaults to the user's primary calendar, and recurring events are
/// expanded into instances ordered by start (`singleEvents=true&amp;orderBy=startTime`; orderBy=startTime needs
/// singleEvents, https://developers.google.com/calendar/api/v3/reference/events/list).
/// </summary>
public sealed class GoogleCalendarEventsList : CodedTool
{
    public override IEnumerable<string> Names => ["GOOGLECALENDAR_EVENTS_LIST"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        parameters["calendarId"] = Text(parameters, "calendarId") ?? "primary";
        var request = ToolRequest.Build(toolkit, tool, parameters, credentials, apiBaseUrl);
        AddQuery(request, ("singleEvents", "true"), ("orderBy", "startTime"));
        return request;
    }
}

/// <summary>
/// Google Calendar events insert and patch: flat parameters become the Event resource, with `start`/`end` as
/// `{dateTime, timeZone}` or `{date}` for all-day events and `attendees` as `[{email}]`
/// (https://developers.google.com/calendar/api/v3/reference/events/insert, .../events/patch).
/// `calendarId` defaults to "primary"; `sendUpdates` stays a query parameter.
/// </summary>
public sealed class GoogleCalendarWriteEvent : CodedTool
{
    public override IEnumerable<string> Names => ["GOOGLECALENDAR_CREATE_EVENT", "GOOGLECALENDAR_UPDATE_EVENT"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var patch = tool.Name == "GOOGLECALENDAR_UPDATE_EVENT";
        parameters["calendarId"] = Text(parameters, "calendarId") ?? "primary";
        var timeZone = Text(parameters, "timeZone");
        var start = Time(parameters, "start", timeZone, patch);
        var end = Time(parameters, "end", timeZone, patch);
        if (!patch && (start is null || end is null))
            throw new InvalidToolParameter(start is null ? "startDateTime" : "endDateTime",
                "Give startDateTime and endDateTime, or startDate and endDate for an all-day event.");
        if (start is not null && end is not null && (start["date"] is JsonValue) != (end["date"] is JsonValue))
            throw new InvalidToolParameter("endDate", "Start and end must both be date-times or both be dates (all-day).");
        if (timeZone is not null && start?["dateTime"] is null && end?["dateTime"] is null)
            throw new InvalidToolParameter("timeZone", "timeZone applies to startDateTime and endDateTime: give them too.");

        var body = new JsonObject();
        foreach (var name in (string[])["summary", "description", "location"])
            if (Text(parameters, name) is { } value) body[name] = value;
        if (start is not null) body["start"] = start;
        if (end is not null) body["end"] = end;
        if (parameters["attendees"] is JsonArray)
            body["attendees"] = new JsonArray(Strings(parameters, "attendees").Select(a => (JsonNode)new JsonObject { ["email"] = a }).ToArray());
        if (patch && body.Count == 0)
            throw new InvalidToolParameter("params", "Give at least one field of the event to change.");
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, body);
    }

    private static JsonObject? Time(JsonObject parameters, string which, string? timeZone, bool patch)
    {
        var dateTime = Text(parameters, which + "DateTime");
        var date = Text(parameters, which + "Date");
        if (dateTime is not null && date is not null)
            throw new InvalidToolParameter(which + "Date", $"Give {which}DateTime or {which}Date, not both.");
        // A patch merges into the stored event: clear the other form, or an all-day event turned timed keeps its `date`.
        if (dateTime is not null)
        {
            var time = new JsonObject { ["dateTime"] = dateTime };
            if (timeZone is not null) time["timeZone"] = timeZone;
            if (patch) time["date"] = null;
            return time;
        }
        if (date is not null) return patch ? new JsonObject { ["date"] = date, ["dateTime"] = null } : new JsonObject { ["date"] = date };
        return null;
    }
}
