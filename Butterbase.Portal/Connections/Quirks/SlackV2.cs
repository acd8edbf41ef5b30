using System.Net.Http.Headers;
using System.Text.Json;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `slack_v2` — Slack's OAuth v2 (https://docs.slack.dev/authentication/installing-with-oauth): errors are HTTP 200
/// `{ok:false, error}`; the installing user's token comes under `authed_user` beside the bot token; revocation is
/// `auth.revoke` called with the token itself as Bearer, no client auth (https://api.slack.com/methods/auth.revoke).
/// </summary>
public sealed class SlackV2 : ProviderQuirk
{
    public override string Name => "slack_v2";

    /// <summary>`{ok:false}` without an `error` member is still a refusal.</summary>
    public override string? TokenError(IReadOnlyDictionary<string, JsonElement> body) =>
        body.TryGetValue("ok", out var ok) && ok.ValueKind == JsonValueKind.False ? "invalid_request" : null;

    public override bool OwnsRevocation => true;

    public override HttpRequestMessage? RevocationRequest(OAuthProvider provider, StoredCredentials credentials)
    {
        if (provider.RevocationUrl is not { } url || credentials.AccessToken is null) return null;
        var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credentials.AccessToken);
        return request;
    }

    /// <summary>The installing user's token (`authed_user.access_token`): the user-scope tools act with it.</summary>
    public override Task<QuirkFindings> AfterConnectAsync(QuirkConnectContext context, CancellationToken ct)
    {
        if (context.Tokens.Body.TryGetValue("authed_user", out var user) && user.ValueKind == JsonValueKind.Object
            && user.TryGetProperty("access_token", out var token) && token.ValueKind == JsonValueKind.String && token.GetString() is { Length: > 0 } t)
            return Task.FromResult(new QuirkFindings { Extras = { ["user_access_token"] = t } });
        return Task.FromResult(QuirkFindings.None);
    }
}
