using System.Text.Json;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `docusign_base_uri` — each DocuSign account lives on its own server: `GET https://account.docusign.com/oauth/userinfo`
/// answers `{sub, name, email, accounts: [{account_id, is_default, account_name, base_uri}]}` and API calls go to
/// `{base_uri}/restapi/v2.1/accounts/{account_id}` (https://developers.docusign.com/platform/auth/reference/user-info/).
/// The default account (else the first) fills the `account_host` field of the API address and `account_id`. The identity
/// endpoint is the catalog's `userInfoUrl` (configurable as `Butterbase:Toolkits:{slug}:UserInfoUrl`).
/// </summary>
public sealed class DocuSignBaseUri : ProviderQuirk
{
    public override string Name => "docusign_base_uri";

    public override Task<QuirkFindings> AfterConnectAsync(QuirkConnectContext context, CancellationToken ct)
    {
        if (context.UserInfo?.GetValueOrDefault("accounts") is not { ValueKind: JsonValueKind.Array } accounts || accounts.GetArrayLength() == 0)
            return Task.FromResult(QuirkFindings.Failed("DocuSign's user info listed no account for this user."));
        var chosen = accounts.EnumerateArray().FirstOrDefault(a => a.ValueKind == JsonValueKind.Object
            && a.TryGetProperty("is_default", out var d) && (d.ValueKind == JsonValueKind.True || d.ValueKind == JsonValueKind.String && d.GetString() == "true"));
        if (chosen.ValueKind != JsonValueKind.Object) chosen = accounts[0];
        // The host becomes the API address: an absolute http(s) URL's authority only; the outbound policy checks it when called.
        if (HostOf(Text(chosen, "base_uri")) is not { } host || Text(chosen, "account_id") is not { } accountId || accountId.Contains('/'))
            return Task.FromResult(QuirkFindings.Failed("DocuSign's default account has no usable base_uri or account_id."));
        return Task.FromResult(new QuirkFindings
        {
            Fields = { ["account_host"] = host, ["account_id"] = accountId },
            Label = Text(chosen, "account_name"),
        });
    }
}
