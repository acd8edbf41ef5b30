using System.Net.Http.Json;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `token_json_body` — the token (and refresh) request body is JSON, not RFC 6749's form: Notion documents JSON
/// (https://developers.notion.com/reference/create-a-token) and Square requires it
/// (https://developer.squareup.com/reference/square/oauth-api/obtain-token).
/// </summary>
public sealed class TokenJsonBody : ProviderQuirk
{
    public override string Name => "token_json_body";

    public override HttpContent? TokenRequestBody(IReadOnlyDictionary<string, string> form) => JsonContent.Create(form);
}
