using System.Text.RegularExpressions;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `pipedrive_api_domain` — Pipedrive serves each company from its own host and names it in the token answer:
/// `{access_token, token_type, refresh_token, scope, expires_in, api_domain: "https://acme.pipedrive.com"}`
/// (https://pipedrive.readme.io/docs/marketplace-oauth-authorization#step-5-getting-the-tokens). The company's label fills
/// the `company_domain` field of the API address (`https://{company_domain}.pipedrive.com/api`). Only an https host
/// directly under pipedrive.com is taken: a token answer cannot point the connection's calls anywhere else.
/// </summary>
public sealed partial class PipedriveApiDomain : ProviderQuirk
{
    public override string Name => "pipedrive_api_domain";

    public override Task<QuirkFindings> AfterConnectAsync(QuirkConnectContext context, CancellationToken ct) =>
        Task.FromResult(CompanyDomain(OAuthClient.Text(context.Tokens.Body, "api_domain")) is { } company
            ? new QuirkFindings { Fields = { ["company_domain"] = company }, Label = company + ".pipedrive.com" }
            : QuirkFindings.Failed("Pipedrive's token answer named no company host under pipedrive.com (api_domain)."));

    /// <summary>`acme` for `https://acme.pipedrive.com` (a trailing slash allowed), else null.</summary>
    internal static string? CompanyDomain(string? apiDomain) =>
        Uri.TryCreate(apiDomain, UriKind.Absolute, out var uri) && uri.Scheme == "https" && uri.UserInfo.Length == 0 && uri.IsDefaultPort
            && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0
            && uri.Host.EndsWith(".pipedrive.com", StringComparison.OrdinalIgnoreCase)
            && uri.Host[..^".pipedrive.com".Length] is var label && Label().IsMatch(label)
            ? label.ToLowerInvariant() : null;

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex Label();
}
