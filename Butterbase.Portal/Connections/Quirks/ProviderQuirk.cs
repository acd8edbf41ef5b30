using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// One named deviation of one provider from RFC 6749/7009 (or a step it needs beyond them), as the catalog names it
/// (`auth[].quirks`, tools/catalog/FORMAT.md). Every hook is a no-op here: a quirk overrides only the hooks its provider
/// needs, and a hook runs only for toolkits whose data names the quirk — no quirk reads other providers' answers.
/// The set of quirks is closed: <see cref="ProviderQuirks"/> lists every class, and an unknown name is an error
/// (docs/architecture.md "Adding a provider quirk").
/// </summary>
public abstract class ProviderQuirk
{
    /// <summary>The name the catalog data uses (`slack_v2`).</summary>
    public abstract string Name { get; }

    /// <summary>Token request (code exchange and refresh): adjust the request before it is sent (headers).</summary>
    public virtual void PrepareTokenRequest(HttpRequestMessage request) { }

    /// <summary>Token request: the body to send instead of RFC 6749's form, or null to keep the form.</summary>
    public virtual HttpContent? TokenRequestBody(IReadOnlyDictionary<string, string> form) => null;

    /// <summary>Error mapping: the RFC 6749 error code a token answer without a standard `error` member means, or null.</summary>
    public virtual string? TokenError(IReadOnlyDictionary<string, JsonElement> body) => null;

    /// <summary>Identity: adjust the request to the provider's identity endpoint (the token's place and scheme).</summary>
    public virtual void PrepareIdentityRequest(HttpRequestMessage request, string accessToken) { }

    /// <summary>
    /// Identity: who connected, from the identity answer, when the generic reading (`sub`, `id`, `email`, …) does not
    /// fit the provider. Null: the generic reading applies.
    /// </summary>
    public virtual (string? Id, string? Label)? ReadIdentity(IReadOnlyDictionary<string, JsonElement> userInfo) => null;

    /// <summary>Revoke: this quirk replaces RFC 7009 revocation (<see cref="RevocationRequest"/> decides how, or that there is nothing to do).</summary>
    public virtual bool OwnsRevocation => false;

    /// <summary>Revoke: the provider's own revocation request; null when there is nothing this provider lets us revoke.</summary>
    public virtual HttpRequestMessage? RevocationRequest(OAuthProvider provider, StoredCredentials credentials) => null;

    /// <summary>
    /// Response reading after the exchange: what the connection needs besides the tokens (a field of the API address, an
    /// extra credential), read from the token answer, the identity answer, the callback's query or a call of the
    /// provider's own. A failure ends the connect with `provider_setup_failed`.
    /// </summary>
    public virtual Task<QuirkFindings> AfterConnectAsync(QuirkConnectContext context, CancellationToken ct) => Task.FromResult(QuirkFindings.None);

    /// <summary>API calls (tools and the proxy): adjust the request after the credentials went on (a header).</summary>
    public virtual void PrepareApiRequest(HttpRequestMessage request, StoredCredentials credentials) { }

    /// <summary>Rate-limit reading: a non-429 answer that is really a rate limit (some providers answer 403).</summary>
    public virtual bool IsRateLimited(HttpResponseMessage response, JsonNode? body) => false;

    /// <summary>
    /// GET a provider endpoint a quirk needs with the user's token, on the policed client; the JSON answer, or null with
    /// the reason (status or unreadable answer). The token never appears in the reason.
    /// </summary>
    protected static async Task<(JsonElement? Json, string? Problem)> GetJsonAsync(
        HttpClient http, string url, AuthenticationHeaderValue authorization, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = authorization;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode) return (null, $"{new Uri(url).Host} answered {(int)response.StatusCode}.");
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            return (document.RootElement.Clone(), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return (null, $"{new Uri(url).Host} could not be read.");
        }
    }

    /// <summary>A string member of a JSON object, or null.</summary>
    protected static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { Length: > 0 } text ? text : null;

    /// <summary>
    /// The `host[:port]` of a provider-given absolute http(s) URL (Salesforce's instance, DocuSign's account server), or
    /// null when it is not one. The host is then called through the outbound policy like any tenant-chosen host.
    /// </summary>
    protected static string? HostOf(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.UserInfo.Length == 0
            && uri.Host.Length > 0 && Outbound.OutboundPolicy.ProblemWithHost(uri.Authority, allowPrivateNetworks: true) is null
            ? uri.Authority : null;
}

/// <summary>What <see cref="ProviderQuirk.AfterConnectAsync"/> sees: the finished exchange, and where to ask the provider more.</summary>
/// <param name="Settings">The operator's `Butterbase:Toolkits:{slug}:*` (how tests point a quirk's URL at a stand-in).</param>
/// <param name="Http">The policed outbound client (docs/architecture.md "Tenant-chosen addresses").</param>
public sealed record QuirkConnectContext(
    OAuthProvider Provider,
    TokenResult Tokens,
    IReadOnlyDictionary<string, JsonElement>? UserInfo,
    IReadOnlyDictionary<string, string> CallbackQuery,
    HttpClient Http,
    ToolkitSettings Settings);

/// <summary>What a quirk learned while connecting: connection fields (they fill `{name}` in the API address), extras, a label.</summary>
public sealed record QuirkFindings
{
    public static readonly QuirkFindings None = new();

    public Dictionary<string, string> Fields { get; init; } = [];
    public Dictionary<string, string> Extras { get; init; } = [];
    /// <summary>A label people recognise for the account (the site, the organisation), when better than the identity's.</summary>
    public string? Label { get; init; }
    /// <summary>Why the connection cannot be used (no site, no organisation): the connect fails with this message.</summary>
    public string? Problem { get; init; }

    public static QuirkFindings Failed(string problem) => new() { Problem = problem };
}
