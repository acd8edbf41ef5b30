namespace Butterbase.Portal.Tests.Support.Fakes;

/// <summary>Which real provider a <see cref="FakeOAuthProvider"/> imitates: URL layout, wire formats, errors and quirks.</summary>
public enum FakeProviderStyle { Google, Slack, Notion, GitHub, Microsoft, HubSpot, Discord, Generic, Zendesk, Airtable, Calendly, Pipedrive, Intercom, Monday }

/// <summary>How a client authenticated at the token (or revocation) endpoint.</summary>
public enum ClientAuthMethod
{
    None,
    /// <summary>HTTP Basic with client_id:client_secret (RFC 6749 §2.3.1, client_secret_basic).</summary>
    Basic,
    /// <summary>client_id and client_secret in the request body (form or JSON; client_secret_post).</summary>
    Body,
    /// <summary>Both at once, which RFC 6749 §2.3 forbids ("MUST NOT use more than one authentication method").</summary>
    BasicAndBody,
}

/// <summary>Token endpoint client authentication accepted by the <see cref="FakeProviderStyle.Generic"/> style.</summary>
public enum TokenEndpointAuth { Any, ClientSecretPost, ClientSecretBasic }

/// <summary>
/// Settings of a fake provider. Mutable on purpose: a test may change them between steps
/// (e.g. <c>fake.Options.TokenDelay = TimeSpan.FromSeconds(15)</c> before triggering a refresh).
/// </summary>
public sealed class FakeOAuthProviderOptions
{
    public string ClientId { get; set; } = "fake-client-id";
    public string ClientSecret { get; set; } = "fake-client-secret";

    /// <summary>When set, the authorize endpoint answers 400 (and does not redirect) for any other redirect_uri, like a real provider.</summary>
    public IReadOnlyList<string>? RegisteredRedirectUris { get; set; }

    /// <summary>Who "logs in" when no <see cref="FakeOAuthProvider.NextAccount"/> is queued.</summary>
    public string DefaultAccount { get; set; } = "user@example.com";

    /// <summary>Clock for token and code expiry (use a FakeTimeProvider to move time). <see cref="TokenDelay"/> always uses real time.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Access token lifetime; null = the style's documented default (Google 3599 s, HubSpot 1800 s, Discord 604800 s, ...).</summary>
    public TimeSpan? AccessTokenLifetime { get; set; }

    /// <summary>Send <c>"expires_in": "3600"</c> (a string) instead of a number, as some providers do.</summary>
    public bool ExpiresInAsString { get; set; }

    /// <summary>Never issue a refresh token.</summary>
    public bool OmitRefreshToken { get; set; }

    /// <summary>
    /// Each refresh returns a new refresh token and the old one then fails with invalid_grant.
    /// Null = the style's default (on for Discord, off elsewhere).
    /// </summary>
    public bool? RotateRefreshTokens { get; set; }

    /// <summary>Delay before the token endpoint answers (slow provider). Cancelled if the client goes away.</summary>
    public TimeSpan TokenDelay { get; set; }

    /// <summary>Refuse authorization requests without a PKCE S256 code_challenge (RFC 7636 §4.4.1).</summary>
    public bool RequirePkce { get; set; }

    /// <summary>When set, the authorization response carries <c>iss</c> (RFC 9207) with this value.</summary>
    public string? Issuer { get; set; }

    /// <summary>Client authentication the Generic style accepts at the token and revocation endpoints.</summary>
    public TokenEndpointAuth TokenEndpointAuth { get; set; } = TokenEndpointAuth.Any;

    /// <summary>Slack "token rotation" app setting: tokens expire (12 h) and come with a refresh token.</summary>
    public bool SlackTokenRotation { get; set; }

    /// <summary>Authorization codes expire after this (RFC 6749 §4.1.2 recommends at most 10 minutes).</summary>
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Discord: the server the user adds the bot to when the grant has the `bot` scope, returned as `guild` in the
    /// token answer (https://discord.com/developers/docs/topics/oauth2#advanced-bot-authorization-extended-bot-authorization-access-token-example).
    /// </summary>
    public string DiscordGuildId { get; set; } = "80351110224678912";

    /// <summary>
    /// Members added to every successful token answer of the Generic style (exchange and refresh): a provider's extras such
    /// as Salesforce's `instance_url`, `id`, `issued_at`, `signature`. A function of the fake's own base URL.
    /// </summary>
    public Func<string, IReadOnlyDictionary<string, string>>? ExtraTokenMembers { get; set; }

    /// <summary>Pipedrive's `api_domain` in every token answer, the company's own host (null leaves it out).</summary>
    public string? PipedriveApiDomain { get; set; } = "https://acme.pipedrive.com";

    /// <summary>Parameters added to the authorization response's redirect (Intuit's `realmId` beside code and state).</summary>
    public IReadOnlyDictionary<string, string>? ExtraCallbackParameters { get; set; }
}

/// <summary>An end-user account at the fake provider. <see cref="Id"/> is derived from the email in the style's id format.</summary>
public sealed record FakeAccount(string Email, string Name, string Id)
{
    /// <summary>The part before '@': GitHub login, Discord username.</summary>
    public string Login => Email.Split('@')[0];
}

/// <summary>Tokens minted directly by <see cref="FakeOAuthProvider.IssueTokenFor"/> (for seeding connections in refresh tests).</summary>
public sealed record FakeTokenSet(string AccessToken, string? RefreshToken, DateTimeOffset? ExpiresAt, string Account);

/// <summary>A request the authorize endpoint received, and what it did with it.</summary>
public sealed record AuthorizeRequest(
    string RawQuery,
    IReadOnlyDictionary<string, string> Query,
    string? Account,
    string? Code,
    string? Error,
    DateTimeOffset At)
{
    public string? this[string name] => Query.GetValueOrDefault(name);
    public string? ClientId => this["client_id"];
    public string? RedirectUri => this["redirect_uri"];
    public string? State => this["state"];
    public string? Scope => this["scope"];
    public string? CodeChallenge => this["code_challenge"];
    public string? CodeChallengeMethod => this["code_challenge_method"];
}

/// <summary>A request the token endpoint received (both grant types), the client authentication used and the outcome.</summary>
public sealed record TokenRequest(
    string? GrantType,
    ClientAuthMethod ClientAuth,
    string? ClientId,
    string? ContentType,
    string Body,
    IReadOnlyDictionary<string, string> Parameters,
    IReadOnlyDictionary<string, string> Headers,
    int StatusCode,
    string? Error,
    string? Account,
    DateTimeOffset At)
{
    public string? this[string name] => Parameters.GetValueOrDefault(name);
    public string? Code => this["code"];
    public string? RedirectUri => this["redirect_uri"];
    public string? CodeVerifier => this["code_verifier"];
    public string? RefreshToken => this["refresh_token"];
    public bool Succeeded => Error is null && StatusCode == 200;
}

/// <summary>A revocation call (RFC 7009 or the provider's own variant).</summary>
public sealed record RevocationRequest(
    string Method,
    string Path,
    string? Token,
    ClientAuthMethod ClientAuth,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    int StatusCode,
    bool Revoked,
    DateTimeOffset At);

/// <summary>A call to the identity endpoint (userinfo, auth.test, /user, /me, ...) or to the protected echo API.</summary>
public sealed record ResourceRequest(
    string Method,
    string Path,
    string? Token,
    IReadOnlyDictionary<string, string> Headers,
    int StatusCode,
    string? Account,
    DateTimeOffset At);

/// <summary>A failure the token endpoint returns instead of doing its work (see <see cref="FakeOAuthProvider.FailNextTokenCallsWith(TokenFailure, int)"/>).</summary>
public sealed record TokenFailure
{
    private TokenFailure() { }

    public int? StatusCode { get; private init; }
    public string? RetryAfter { get; private init; }
    public string? Body { get; private init; }
    /// <summary>An OAuth error code (invalid_grant, invalid_client, invalid_request, ...) rendered in the style's error format.</summary>
    public string? OAuthError { get; private init; }

    /// <summary>A bare HTTP status (500, 502, 503, ...) with an optional body.</summary>
    public static TokenFailure Status(int statusCode, string? body = null) => new() { StatusCode = statusCode, Body = body };

    /// <summary>429 with <c>Retry-After</c> (delta-seconds or an HTTP date, RFC 9110 §10.2.3).</summary>
    public static TokenFailure TooManyRequests(string retryAfter = "1") => new() { StatusCode = 429, RetryAfter = retryAfter };

    public static TokenFailure Error(string oauthError) => new() { OAuthError = oauthError };

    public static TokenFailure InvalidGrant => Error("invalid_grant");
    public static TokenFailure InvalidClient => Error("invalid_client");
}
