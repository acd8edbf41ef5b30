using System.Text.Json;

namespace Butterbase.Portal.Connections;

/// <summary>Who connected: a stable account id (for reconnects) and a label people recognise.</summary>
public static class AccountIdentity
{
    public static (string? Id, string? Label) From(IReadOnlyDictionary<string, JsonElement> tokenBody, IReadOnlyDictionary<string, JsonElement>? userInfo)
    {
        // Notion has no identity endpoint for integrations: the token response names the workspace.
        if (OAuthClient.Text(tokenBody, "workspace_id") is { } workspace)
            return (workspace, OAuthClient.Text(tokenBody, "workspace_name") ?? workspace);
        // Slack v2: the workspace (team) and the installing user come back with the token.
        if (tokenBody.TryGetValue("team", out var team) && team.ValueKind == JsonValueKind.Object)
        {
            var teamId = team.TryGetProperty("id", out var tid) ? tid.GetString() : null;
            var user = tokenBody.TryGetValue("authed_user", out var au) && au.ValueKind == JsonValueKind.Object && au.TryGetProperty("id", out var uid) ? uid.GetString() : null;
            var name = team.TryGetProperty("name", out var tn) ? tn.GetString() : null;
            return (teamId is null ? null : $"{teamId}:{user}", name ?? teamId);
        }
        if (userInfo is null) return (null, null);
        var id = First(userInfo, "sub", "id", "user_id", "login", "user", "hub_id");
        var label = First(userInfo, "email", "mail", "userPrincipalName", "login", "username", "user", "name", "hub_domain", "displayName");
        return (id, label);
    }

    private static string? First(IReadOnlyDictionary<string, JsonElement> body, params string[] names)
    {
        foreach (var name in names)
            if (OAuthClient.Text(body, name) is { } value) return value;
        return null;
    }
}
