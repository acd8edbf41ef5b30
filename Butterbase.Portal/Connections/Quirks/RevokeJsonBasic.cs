using System.Net.Http.Json;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `revoke_json_basic` — Notion revokes with `POST {revocationUrl}`, HTTP Basic client auth and JSON `{"token": …}`
/// (https://developers.notion.com/reference/revoke-token).
/// </summary>
public sealed class RevokeJsonBasic : ProviderQuirk
{
    public override string Name => "revoke_json_basic";

    public override bool OwnsRevocation => true;

    public override HttpRequestMessage? RevocationRequest(OAuthProvider provider, StoredCredentials credentials)
    {
        var token = credentials.RefreshToken ?? credentials.AccessToken;
        if (provider.RevocationUrl is not { } url || token is null) return null;
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { token }) };
        request.Headers.Authorization = OAuthClient.BasicClientAuth(provider);
        return request;
    }
}
