using System.Net.Http.Json;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `revoke_github_grant` — GitHub revokes the whole grant with `DELETE /applications/{client_id}/grant`, Basic
/// `client_id:client_secret` and JSON `{"access_token": …}`
/// (https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization).
/// </summary>
public sealed class RevokeGitHubGrant : ProviderQuirk
{
    public override string Name => "revoke_github_grant";

    public override bool OwnsRevocation => true;

    public override HttpRequestMessage? RevocationRequest(OAuthProvider provider, StoredCredentials credentials)
    {
        if (provider.RevocationUrl is not { } url || credentials.AccessToken is null) return null;
        var request = new HttpRequestMessage(HttpMethod.Delete, url.Replace("{client_id}", Uri.EscapeDataString(provider.ClientId)))
        {
            Content = JsonContent.Create(new { access_token = credentials.AccessToken }),
        };
        request.Headers.Authorization = OAuthClient.BasicClientAuth(provider);
        return request;
    }
}
