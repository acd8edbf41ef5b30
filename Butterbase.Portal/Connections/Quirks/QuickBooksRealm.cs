using System.Text.RegularExpressions;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `quickbooks_realm` — Intuit names the company the user connected only in the callback's query string, `realmId`,
/// beside `code` and `state`; API calls go to `/v3/company/{realmId}/…`
/// (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-4-exchange-the-authorization-code-for-access-tokens).
/// The realm id fills the `realmId` field of the API address. It comes from the browser, so only digits are taken; a
/// forged one cannot reach another company (the token is bound to the real one), the calls would only fail.
/// </summary>
public sealed partial class QuickBooksRealm : ProviderQuirk
{
    public override string Name => "quickbooks_realm";

    public override Task<QuirkFindings> AfterConnectAsync(QuirkConnectContext context, CancellationToken ct) =>
        Task.FromResult(context.CallbackQuery.GetValueOrDefault("realmId") is { } realm && RealmId().IsMatch(realm)
            ? new QuirkFindings { Fields = { ["realmId"] = realm } }
            : QuirkFindings.Failed("Intuit's callback named no company (realmId)."));

    [GeneratedRegex("^[0-9]{1,32}$")]
    private static partial Regex RealmId();
}
