using System.Net.Http.Headers;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `token_accept_json` — GitHub answers the token request form-encoded unless asked for JSON
/// (https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github).
/// The engine sends `Accept: application/json` to every provider (harmless elsewhere); this quirk is the provider's
/// documented need, kept so the header stays even if the default ever changes.
/// </summary>
public sealed class TokenAcceptJson : ProviderQuirk
{
    public override string Name => "token_accept_json";

    public override void PrepareTokenRequest(HttpRequestMessage request)
    {
        if (!request.Headers.Accept.Any(a => a.MediaType == "application/json"))
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }
}
