using Butterbase.Portal.Catalog;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Whether a connection's granted scopes let it run a tool (docs/architecture.md "Scopes per tool"). A tool's `scopes`
/// are alternatives, as the providers document them ("one of the following"): one granted is enough. A broader scope
/// a provider documents as including a narrower one counts as that one too (Gmail's gmail.modify covers gmail.readonly),
/// so a connection is never refused for a scope its provider would accept.
/// </summary>
public static class ToolScopes
{
    private const string Google = "https://www.googleapis.com/auth/";

    /// <summary>Broader scope → the narrower scopes its provider accepts it for.</summary>
    private static readonly Dictionary<string, string[]> Includes = new(StringComparer.OrdinalIgnoreCase)
    {
        // https://developers.google.com/workspace/gmail/api/auth/scopes and each method's "Authorization scopes"
        ["https://mail.google.com/"] = [Google + "gmail.modify", Google + "gmail.compose", Google + "gmail.send", Google + "gmail.readonly", Google + "gmail.labels", Google + "gmail.metadata", Google + "gmail.insert"],
        [Google + "gmail.modify"] = [Google + "gmail.compose", Google + "gmail.send", Google + "gmail.readonly", Google + "gmail.labels", Google + "gmail.metadata", Google + "gmail.insert"],
        [Google + "gmail.compose"] = [Google + "gmail.send"],
        [Google + "gmail.readonly"] = [Google + "gmail.metadata"],
        // https://developers.google.com/workspace/calendar/api/auth
        [Google + "calendar"] = [Google + "calendar.readonly", Google + "calendar.events", Google + "calendar.events.readonly"],
        [Google + "calendar.events"] = [Google + "calendar.events.readonly"],
        [Google + "calendar.readonly"] = [Google + "calendar.events.readonly"],
        // https://developers.google.com/workspace/sheets/api/scopes, https://developers.google.com/workspace/drive/api/guides/api-specific-auth
        [Google + "spreadsheets"] = [Google + "spreadsheets.readonly"],
        [Google + "drive"] = [Google + "drive.file", Google + "drive.readonly", Google + "drive.metadata", Google + "drive.metadata.readonly", Google + "spreadsheets", Google + "spreadsheets.readonly"],
        [Google + "drive.readonly"] = [Google + "drive.metadata.readonly", Google + "spreadsheets.readonly"],
        [Google + "drive.metadata"] = [Google + "drive.metadata.readonly"],
        // https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps#available-scopes
        ["repo"] = ["public_repo", "repo:status", "repo_deployment", "repo:invite", "security_events"],
        ["user"] = ["read:user", "user:email", "user:follow"],
        ["admin:org"] = ["write:org", "read:org"],
        ["write:org"] = ["read:org"],
        // https://learn.microsoft.com/graph/permissions-reference
        ["Mail.ReadWrite"] = ["Mail.Read"],
        ["Calendars.ReadWrite"] = ["Calendars.Read"],
    };

    /// <summary>
    /// The tool's scopes when the connection was granted none of them (nor a scope that includes one); null when it may
    /// run. A tool without scopes, or a connection that recorded none (an API key, a provider that does not say), is not checked.
    /// </summary>
    public static IReadOnlyList<string>? Missing(ToolDefinition tool, IReadOnlyCollection<string> granted)
    {
        if (tool.Scopes.Length == 0 || granted.Count == 0) return null;
        var have = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var scope in granted)
        {
            // Microsoft may answer fully qualified names (https://graph.microsoft.com/Mail.Read) for what was asked as Mail.Read.
            var name = scope.StartsWith("https://graph.microsoft.com/", StringComparison.OrdinalIgnoreCase) ? scope["https://graph.microsoft.com/".Length..] : scope;
            have.Add(name);
            foreach (var included in Includes.GetValueOrDefault(name) ?? []) have.Add(included);
        }
        return tool.Scopes.Any(have.Contains) ? null : tool.Scopes;
    }
}
