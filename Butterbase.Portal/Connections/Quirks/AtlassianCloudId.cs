using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `atlassian_cloudid` — Atlassian OAuth 2.0 (3LO) calls go through `https://api.atlassian.com/ex/{product}/{cloudId}`;
/// the cloud id of each site the token may use comes from `GET https://api.atlassian.com/oauth/token/accessible-resources`
/// as `[{id, name, url, scopes, avatarUrl}]` (https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/,
/// https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/#3-1-get-the-cloudid-for-your-site).
/// The first site fills the `cloudId` field of the API address; identity is `/me`'s `account_id`.
/// The URL is configurable as `Butterbase:Toolkits:{slug}:AccessibleResourcesUrl`.
/// </summary>
public sealed partial class AtlassianCloudId : ProviderQuirk
{
    public const string DefaultUrl = "https://api.atlassian.com/oauth/token/accessible-resources";

    public override string Name => "atlassian_cloudid";

    public override async Task<QuirkFindings> AfterConnectAsync(QuirkConnectContext context, CancellationToken ct)
    {
        var (json, problem) = await GetJsonAsync(context.Http, context.Settings.AccessibleResourcesUrl ?? DefaultUrl,
            new AuthenticationHeaderValue("Bearer", context.Tokens.AccessToken), ct);
        if (json is not { ValueKind: JsonValueKind.Array } sites) return QuirkFindings.Failed("Atlassian did not list the sites this grant may use: " + (problem ?? "no list."));
        foreach (var site in sites.EnumerateArray())
        {
            // The id goes into the API path: only what a cloud id looks like (a UUID) is taken.
            if (Text(site, "id") is not { } id || !CloudId().IsMatch(id)) continue;
            var findings = new QuirkFindings { Fields = { ["cloudId"] = id }, Label = Text(site, "name") ?? Text(site, "url") };
            if (Text(site, "url") is { } url) findings.Extras["site_url"] = url;
            return findings;
        }
        return QuirkFindings.Failed("The Atlassian account granted access to no site; connect again and choose a site.");
    }

    public override (string? Id, string? Label)? ReadIdentity(IReadOnlyDictionary<string, JsonElement> userInfo) =>
        OAuthClient.Text(userInfo, "account_id") is { } id ? (id, OAuthClient.Text(userInfo, "email") ?? OAuthClient.Text(userInfo, "name")) : null;

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex CloudId();
}
