namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `revoke_delete_refresh_token` — HubSpot revokes with `DELETE /oauth/v1/refresh-tokens/{refresh_token}`, no body, no
/// client auth (https://developers.hubspot.com/docs/api-reference/auth-oauth-v1/refresh-tokens/delete-oauth-v1-refresh-tokens-token).
/// Without a refresh token there is nothing HubSpot lets us revoke (access tokens die within 30 minutes).
/// </summary>
public sealed class RevokeDeleteRefreshToken : ProviderQuirk
{
    public override string Name => "revoke_delete_refresh_token";

    public override bool OwnsRevocation => true;

    public override HttpRequestMessage? RevocationRequest(OAuthProvider provider, StoredCredentials credentials) =>
        provider.RevocationUrl is { } url && credentials.RefreshToken is { } refresh
            ? new HttpRequestMessage(HttpMethod.Delete, url.Replace("{refresh_token}", Uri.EscapeDataString(refresh)))
            : null;
}
