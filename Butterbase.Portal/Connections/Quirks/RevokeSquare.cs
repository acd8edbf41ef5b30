using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `revoke_square` — Square revokes with `POST /oauth2/revoke`, the header `Authorization: Client {application secret}`
/// and JSON `{client_id, access_token}`; it revokes every token of the merchant for the application
/// (https://developer.squareup.com/reference/square/oauth-api/revoke-token).
/// </summary>
public sealed class RevokeSquare : ProviderQuirk
{
    public override string Name => "revoke_square";

    public override bool OwnsRevocation => true;

    public override HttpRequestMessage? RevocationRequest(OAuthProvider provider, StoredCredentials credentials)
    {
        if (provider.RevocationUrl is not { } url || credentials.AccessToken is null) return null;
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new { client_id = provider.ClientId, access_token = credentials.AccessToken }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Client", provider.ClientSecret);
        return request;
    }
}
