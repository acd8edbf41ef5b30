using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `mailchimp_metadata` — a Mailchimp account lives in one data center (`us6`), part of the API host
/// `https://{dc}.api.mailchimp.com/3.0`. After the exchange, `GET https://login.mailchimp.com/oauth2/metadata` with
/// `Authorization: OAuth {token}` answers `{dc, role, accountname, user_id, login: {email, …}, api_endpoint}`
/// (https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/#implement-the-oauth-2-workflow-on-your-server).
/// The catalog makes that endpoint the identity endpoint (`userInfoUrl`, configurable as `Butterbase:Toolkits:{slug}:UserInfoUrl`),
/// so this quirk sets its scheme and reads `dc` from the identity answer.
/// </summary>
public sealed partial class MailchimpMetadata : ProviderQuirk
{
    public override string Name => "mailchimp_metadata";

    public override void PrepareIdentityRequest(HttpRequestMessage request, string accessToken) =>
        request.Headers.Authorization = new AuthenticationHeaderValue("OAuth", accessToken);

    public override Task<QuirkFindings> AfterConnectAsync(QuirkConnectContext context, CancellationToken ct)
    {
        // `dc` becomes part of a host name: only a data center's shape (letters then digits) is taken.
        if (context.UserInfo is { } metadata && OAuthClient.Text(metadata, "dc") is { } dc && DataCenter().IsMatch(dc))
            return Task.FromResult(new QuirkFindings { Fields = { ["dc"] = dc }, Label = OAuthClient.Text(metadata, "accountname") });
        return Task.FromResult(QuirkFindings.Failed("Mailchimp's metadata did not name the account's data center (dc)."));
    }

    public override (string? Id, string? Label)? ReadIdentity(IReadOnlyDictionary<string, JsonElement> userInfo)
    {
        var id = OAuthClient.Text(userInfo, "user_id");
        var email = userInfo.TryGetValue("login", out var login) ? Text(login, "email") ?? Text(login, "login_email") : null;
        return id is null ? null : (id, email ?? OAuthClient.Text(userInfo, "accountname"));
    }

    [GeneratedRegex("^[a-z]{2,5}[0-9]{1,4}$")]
    private static partial Regex DataCenter();
}
