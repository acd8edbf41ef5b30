namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `userinfo_token_in_path` — HubSpot's token metadata is `GET /oauth/v1/access-tokens/{access_token}`: the token in the
/// path and no Authorization header (https://developers.hubspot.com/docs/api-reference/auth-oauth-v1/access-tokens/get-oauth-v1-access-tokens-token).
/// </summary>
public sealed class UserInfoTokenInPath : ProviderQuirk
{
    public override string Name => "userinfo_token_in_path";

    public override void PrepareIdentityRequest(HttpRequestMessage request, string accessToken)
    {
        var url = request.RequestUri!.OriginalString;
        if (!url.Contains("{access_token}")) return;
        request.RequestUri = new Uri(url.Replace("{access_token}", Uri.EscapeDataString(accessToken)));
        request.Headers.Authorization = null;
    }
}
