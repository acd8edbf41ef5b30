using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Butterbase.Portal.Connections;

/// <summary>The outcome of a token request, success or the provider's error, never an exception for a provider's "no".</summary>
public sealed record TokenResult
{
    public bool Ok { get; init; }
    public string? AccessToken { get; init; }
    public string? RefreshToken { get; init; }
    public string? TokenType { get; init; }
    public DateTime? ExpiresAt { get; init; }
    public string[]? Scopes { get; init; }
    public string? Error { get; init; }
    public string? ErrorDescription { get; init; }
    public int Status { get; init; }
    public TimeSpan? RetryAfter { get; init; }
    /// <summary>The parsed response body (JSON or form), for provider extras such as Notion's workspace name.</summary>
    public Dictionary<string, JsonElement> Body { get; init; } = [];

    /// <summary>The grant is dead for good (refresh token revoked or expired): the user must reconnect.</summary>
    public bool IsPermanent => Error is "invalid_grant" or "unauthorized_client" or "invalid_client" or "invalid_scope";
    /// <summary>The app's OAuth client is misconfigured: not the user's fault.</summary>
    public bool IsClientError => Error is "invalid_client" or "unauthorized_client";

    public static TokenResult Failure(string error, string? description, int status = 0, TimeSpan? retryAfter = null) =>
        new() { Ok = false, Error = error, ErrorDescription = description, Status = status, RetryAfter = retryAfter };
}

/// <summary>
/// The hand-written, data-driven OAuth 2.0 client (RFC 6749, PKCE RFC 7636, revocation RFC 7009). Provider
/// quirks are named in the catalog (FORMAT.md) and each is one class in <c>Connections/Quirks</c> whose hooks run here,
/// only for the providers that name it.
/// </summary>
public sealed class OAuthClient(IHttpClientFactory httpClientFactory, TimeProvider clock, ILogger<OAuthClient> logger)
{
    public const string HttpClientName = "oauth";
    /// <summary>
    /// The policed client (docs/security.md [32]) for providers whose URLs a connection field chose (Zendesk's subdomain):
    /// public addresses only, checked on the resolved IP, never an operator's host, no redirects.
    /// </summary>
    public const string TenantHttpClientName = "oauth-tenant";

    /// <summary>The client for this provider's endpoints, and the request marked tenant-chosen when a field chose its host.</summary>
    private HttpClient ClientFor(OAuthProvider provider, HttpRequestMessage request)
    {
        if (!provider.TenantChosenHost) return httpClientFactory.CreateClient(HttpClientName);
        request.Options.Set(Outbound.OutboundPolicy.TenantChosenHost, true);
        return httpClientFactory.CreateClient(TenantHttpClientName);
    }

    public static string NewState() => Base64Url(RandomNumberGenerator.GetBytes(32));                 // 256 bits
    public static string NewCodeVerifier() => Base64Url(RandomNumberGenerator.GetBytes(48));          // 64 chars (RFC 7636: 43–128)
    public static string CodeChallenge(string verifier) => Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
    public static string Hash(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
    private static string Base64Url(byte[] bytes) => WebEncoders.Base64UrlEncode(bytes);

    public static string AuthorizeUrl(OAuthProvider provider, string redirectUri, string state, string? codeVerifier, IReadOnlyList<string> scopes)
    {
        var query = new List<KeyValuePair<string, string?>>
        {
            new("response_type", "code"),
            new("client_id", provider.ClientId),
            new("redirect_uri", redirectUri),
            new("state", state),
        };
        if (scopes.Count > 0) query.Add(new("scope", string.Join(provider.ScopeSeparator, scopes)));
        if (codeVerifier is not null)
        {
            query.Add(new("code_challenge", CodeChallenge(codeVerifier)));
            query.Add(new("code_challenge_method", "S256"));
        }
        // Fixed extras from the catalog, e.g. Google's access_type=offline + prompt=consent (a refresh token is only
        // issued then: https://developers.google.com/identity/protocols/oauth2/web-server#offline) or Notion's owner=user.
        foreach (var (key, value) in provider.AuthorizeParams)
            if (query.All(q => q.Key != key)) query.Add(new(key, value));
        return QueryHelpers.AddQueryString(provider.AuthorizationUrl, query);
    }

    public Task<TokenResult> ExchangeCodeAsync(OAuthProvider provider, string code, string redirectUri, string? codeVerifier, CancellationToken ct)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirectUri };
        if (codeVerifier is not null) form["code_verifier"] = codeVerifier;
        return TokenRequestAsync(provider, form, ct);
    }

    public Task<TokenResult> RefreshAsync(OAuthProvider provider, string refreshToken, CancellationToken ct) =>
        TokenRequestAsync(provider, new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken }, ct);

    private async Task<TokenResult> TokenRequestAsync(OAuthProvider provider, Dictionary<string, string> form, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, provider.TokenUrl);
        // GitHub answers form-encoded unless asked for JSON (the token_accept_json quirk); harmless for everyone else.
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        foreach (var quirk in provider.Quirks) quirk.PrepareTokenRequest(request);
        if (provider.ClientAuth == "basic")
            request.Headers.Authorization = BasicClientAuth(provider);
        else
        {
            form["client_id"] = provider.ClientId;
            if (provider.ClientSecret.Length > 0) form["client_secret"] = provider.ClientSecret;
        }
        // RFC 6749's form, unless a quirk says otherwise (token_json_body: Notion, Square).
        request.Content = provider.Quirks.Select(q => q.TokenRequestBody(form)).FirstOrDefault(c => c is not null) ?? new FormUrlEncodedContent(form);

        HttpResponseMessage response;
        try { response = await ClientFor(provider, request).SendAsync(request, ct); }
        catch (HttpRequestException e) { return TokenResult.Failure("temporarily_unavailable", "The provider could not be reached: " + e.Message); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return TokenResult.Failure("temporarily_unavailable", "The provider's token endpoint timed out."); }

        using (response)
        {
            var body = await ReadBodyAsync(response, ct);
            var retryAfter = response.Headers.RetryAfter is { } ra
                ? ra.Delta ?? (ra.Date is { } d ? d - clock.GetUtcNow() : null) : null;

            // GitHub and Slack answer 200 with {error}; a quirk maps answers without one (slack_v2: {ok:false}).
            var error = Text(body, "error") ?? HubSpotError(Text(body, "status"));
            foreach (var quirk in provider.Quirks) error ??= quirk.TokenError(body);
            if (!response.IsSuccessStatusCode || error is not null)
            {
                var status = (int)response.StatusCode;
                error ??= status switch { 429 => "rate_limited", >= 500 => "temporarily_unavailable", 401 => "invalid_client", _ => "invalid_request" };
                if (status is 429 or >= 500 && error is not ("invalid_grant" or "invalid_client")) error = status == 429 ? "rate_limited" : "temporarily_unavailable";
                logger.LogInformation("Token request to {Provider} failed: {Status} {Error}", provider.Slug, status, error);
                return TokenResult.Failure(error, Text(body, "error_description"), status, retryAfter);
            }

            var accessToken = Text(body, "access_token");
            if (accessToken is null) return TokenResult.Failure("invalid_response", "The token response had no access_token.", (int)response.StatusCode);
            return new TokenResult
            {
                Ok = true,
                AccessToken = accessToken,
                RefreshToken = Text(body, "refresh_token"),
                TokenType = Text(body, "token_type"),
                ExpiresAt = ExpiresIn(body) is { } seconds ? clock.GetUtcNow().UtcDateTime.AddSeconds(seconds) : null,
                Scopes = Text(body, "scope")?.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries),
                Status = (int)response.StatusCode,
                Body = body,
            };
        }
    }

    /// <summary>Revokes what the provider lets us revoke (RFC 7009 or its own way). True when done or nothing to do.</summary>
    public async Task<bool> RevokeAsync(OAuthProvider provider, StoredCredentials credentials, CancellationToken ct)
    {
        var token = credentials.RefreshToken ?? credentials.AccessToken;
        if (token is null) return true;
        HttpRequestMessage request;
        if (provider.Quirks.FirstOrDefault(q => q.OwnsRevocation) is { } own)
        {
            // The provider's own way (GitHub, Slack, HubSpot, Notion, Square): Connections/Quirks.
            if (own.RevocationRequest(provider, credentials) is not { } custom) return true; // nothing this provider lets us revoke
            request = custom;
        }
        else if (provider.RevocationUrl is { } rfc7009)
        {
            var form = new Dictionary<string, string> { ["token"] = token, ["token_type_hint"] = credentials.RefreshToken is null ? "access_token" : "refresh_token" };
            request = new HttpRequestMessage(HttpMethod.Post, rfc7009);
            if (provider.ClientAuth == "basic") request.Headers.Authorization = BasicClientAuth(provider);
            else { form["client_id"] = provider.ClientId; if (provider.ClientSecret.Length > 0) form["client_secret"] = provider.ClientSecret; }
            request.Content = new FormUrlEncodedContent(form);
        }
        else return true; // the provider has no revocation: deleting our copy is all there is

        using (request)
        {
            try
            {
                using var response = await ClientFor(provider, request).SendAsync(request, ct);
                // RFC 7009 §2.2: an unknown or already-invalid token is answered 200 — revoked either way.
                return response.IsSuccessStatusCode || response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                logger.LogInformation("Revocation at {Provider} failed, will retry: {Reason}", provider.Slug, e.Message);
                return false;
            }
        }
    }

    /// <summary>GET the provider's identity endpoint with the new token: who connected.</summary>
    public async Task<Dictionary<string, JsonElement>?> UserInfoAsync(OAuthProvider provider, string accessToken, CancellationToken ct)
    {
        if (provider.UserInfoUrl is null) return null;
        using var request = new HttpRequestMessage(HttpMethod.Get, provider.UserInfoUrl);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        // HubSpot takes the token in the path (userinfo_token_in_path), Mailchimp as `OAuth {token}` (mailchimp_metadata).
        foreach (var quirk in provider.Quirks) quirk.PrepareIdentityRequest(request, accessToken);
        try
        {
            using var response = await ClientFor(provider, request).SendAsync(request, ct);
            if (!response.IsSuccessStatusCode) return null;
            return await ReadBodyAsync(response, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { return null; }
    }

    internal static AuthenticationHeaderValue BasicClientAuth(OAuthProvider provider) =>
        // RFC 6749 §2.3.1: client id and secret are form-urlencoded before Basic encoding.
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            Uri.EscapeDataString(provider.ClientId) + ":" + Uri.EscapeDataString(provider.ClientSecret))));

    private static async Task<Dictionary<string, JsonElement>> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (text.Length == 0) return [];
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        if (mediaType.Contains("x-www-form-urlencoded") || (!text.TrimStart().StartsWith('{') && text.Contains('=')))
        {
            // GitHub without Accept: application/json (and some older providers): access_token=...&scope=...
            return QueryHelpers.ParseQuery(text).ToDictionary(kv => kv.Key, kv => JsonSerializer.SerializeToElement(kv.Value.ToString()));
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone())
                : [];
        }
        catch (JsonException) { return []; }
    }

    /// <summary>
    /// HubSpot's token errors have no `error` member but a `status` such as BAD_REFRESH_TOKEN
    /// (https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide): mapped to RFC 6749 codes.
    /// </summary>
    private static string? HubSpotError(string? status) => status switch
    {
        "BAD_REFRESH_TOKEN" or "BAD_AUTH_CODE" or "EXPIRED_AUTH_CODE" => "invalid_grant",
        "BAD_CLIENT_ID" or "BAD_CLIENT_SECRET" => "invalid_client",
        "BAD_REDIRECT_URI" or "BAD_GRANT_TYPE" => "invalid_request",
        _ => null,
    };

    public static string? Text(IReadOnlyDictionary<string, JsonElement> body, string name) =>
        body.TryGetValue(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    /// <summary>`expires_in` as a number or a numeric string (both are seen in the wild).</summary>
    private static double? ExpiresIn(Dictionary<string, JsonElement> body) =>
        double.TryParse(Text(body, "expires_in"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : null;
}
