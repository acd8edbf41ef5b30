using Butterbase.Portal.Catalog;
namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `shopify_access_token_header` — Shopify's Admin API takes an OAuth access token the same way as a custom app's token,
/// in `X-Shopify-Access-Token`, not as a Bearer token
/// (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#step-5-make-authenticated-requests).
/// </summary>
public sealed class ShopifyAccessTokenHeader : ProviderQuirk
{
    public override string Name => "shopify_access_token_header";

    public override void PrepareApiRequest(HttpRequestMessage request, StoredCredentials credentials)
    {
        if (credentials.Scheme != AuthSchemes.OAuth2 || credentials.AccessToken is null) return;
        request.Headers.Authorization = null;
        request.Headers.TryAddWithoutValidation("X-Shopify-Access-Token", credentials.AccessToken);
    }
}
