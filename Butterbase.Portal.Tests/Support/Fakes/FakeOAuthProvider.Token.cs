using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Butterbase.Portal.Tests.Support.Fakes;

public sealed partial class FakeOAuthProvider
{
    private const string SlackTeamId = "T0FAKETEAM";
    private const string SlackTeamName = "Fake Workspace";
    private const string SlackBotUserId = "U0FAKEBOT";
    private const string SlackAppId = "A0FAKEAPP";
    private const string NotionWorkspaceId = "6f0a2b7e-3c1d-4e5f-9a8b-7c6d5e4f3a2b";
    private const long HubSpotHubId = 62515;
    private const long HubSpotAppId = 456789;

    private enum TokenErrorKind
    {
        InvalidRequest,
        InvalidClient,
        InvalidCode,
        CodeReused,
        InvalidRefreshToken,
        RedirectMismatch,
        PkceMismatch,
        UnsupportedGrantType,
    }

    /// <summary>One HTTP answer. <see cref="Error"/> is the RFC 6749 name of the failure, for <see cref="TokenRequest.Error"/>.</summary>
    private sealed record Reply(int Status, string ContentType, string Body, string? Error = null, string? RetryAfter = null, string? WwwAuthenticate = null);

    private sealed class TokenCall
    {
        public string? GrantType;
        public ClientAuthMethod Auth;
        public string? ClientId;
        public string? ContentType;
        public string Body = "";
        public Dictionary<string, string> Parameters = new(StringComparer.Ordinal);
        public Dictionary<string, string> Headers = new(StringComparer.OrdinalIgnoreCase);
        public bool AcceptJson;
        public string? Account;
        public string? this[string name] => Parameters.GetValueOrDefault(name);
    }

    private async Task Token(HttpContext context)
    {
        var inFlight = Interlocked.Increment(ref _tokenCallsInFlight);
        int peak;
        while (inFlight > (peak = Volatile.Read(ref _peakConcurrentTokenCalls))
               && Interlocked.CompareExchange(ref _peakConcurrentTokenCalls, inFlight, peak) != peak) { }
        try
        {
            await TokenCore(context);
        }
        finally
        {
            Interlocked.Decrement(ref _tokenCallsInFlight);
        }
    }

    private async Task TokenCore(HttpContext context)
    {
        var request = context.Request;
        var call = new TokenCall
        {
            ContentType = request.ContentType,
            Headers = HeadersOf(request),
            Body = await new StreamReader(request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted),
            AcceptJson = request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase),
        };
        var isJson = call.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true;
        var isForm = call.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true;
        // RFC 6749 §4.1.3 and §6 bodies are form-encoded; Notion's token endpoint takes JSON instead.
        // https://developers.notion.com/reference/create-a-token
        var parameters = Style == FakeProviderStyle.Notion
            ? (isJson ? ParseJsonObject(call.Body) : null)
            : (isForm ? ParseForm(call.Body) : null);
        call.Parameters = parameters ?? new(StringComparer.Ordinal);
        call.GrantType = call["grant_type"];
        // Slack's oauth.v2.access and GitHub's access_token endpoint do not need grant_type for a code exchange.
        // https://docs.slack.dev/reference/methods/oauth.v2.access, https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
        if (call.GrantType is null && call["code"] is not null && Style is FakeProviderStyle.Slack or FakeProviderStyle.GitHub)
            call.GrantType = "authorization_code";

        var basic = ParseBasic(request.Headers.Authorization.ToString());
        var bodySecret = call["client_secret"];
        call.Auth = (basic, bodySecret) switch
        {
            (not null, not null) => ClientAuthMethod.BasicAndBody,
            (not null, null) => ClientAuthMethod.Basic,
            (null, not null) => ClientAuthMethod.Body,
            _ => ClientAuthMethod.None,
        };
        call.ClientId = basic?.Id ?? call["client_id"];

        if (call.GrantType == "refresh_token") Interlocked.Increment(ref _refreshGrants);

        if (Options.TokenDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Options.TokenDelay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                RecordToken(call, 499, "client_closed_request");
                return;
            }
        }

        Reply reply;
        if (_tokenFailures.TryDequeue(out var failure)) reply = InjectedFailure(failure, call);
        else if (parameters is null)
            reply = TokenError(TokenErrorKind.InvalidRequest, call, Style == FakeProviderStyle.Notion
                ? (isJson ? "Error parsing JSON body." : "Request body must be JSON.")
                : "Request body must be application/x-www-form-urlencoded.");
        else reply = Authenticate(call, basic) ?? call.GrantType switch
        {
            "authorization_code" => ExchangeCode(call),
            "refresh_token" => Refresh(call),
            null => TokenError(TokenErrorKind.InvalidRequest, call, "grant_type is required"),
            _ => TokenError(TokenErrorKind.UnsupportedGrantType, call, call.GrantType),
        };

        var response = context.Response;
        response.StatusCode = reply.Status;
        response.ContentType = reply.ContentType;
        // RFC 6749 §5.1: token responses are not cacheable.
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        if (reply.RetryAfter is not null) response.Headers.RetryAfter = reply.RetryAfter;
        if (reply.WwwAuthenticate is not null) response.Headers.WWWAuthenticate = reply.WwwAuthenticate;
        RecordToken(call, reply.Status, reply.Error);
        await response.WriteAsync(reply.Body);
    }

    private void RecordToken(TokenCall call, int status, string? error) =>
        _tokenRequests.Enqueue(new TokenRequest(call.GrantType, call.Auth, call.ClientId, call.ContentType, call.Body,
            call.Parameters, call.Headers, status, error, call.Account, Now));

    /// <summary>Client authentication (RFC 6749 §2.3) with the methods the style accepts; null when the client is authenticated.</summary>
    private Reply? Authenticate(TokenCall call, (string Id, string Secret)? basic)
    {
        if (call.Auth == ClientAuthMethod.BasicAndBody)
            return TokenError(TokenErrorKind.InvalidRequest, call, "The client used more than one authentication method.");
        if (!Profile.TokenClientAuth.Contains(call.Auth))
            return TokenError(TokenErrorKind.InvalidClient, call, $"Client authentication '{call.Auth}' is not accepted here.");
        var (id, secret) = call.Auth == ClientAuthMethod.Basic ? basic!.Value : (call["client_id"], call["client_secret"]);
        if (id != Options.ClientId) return TokenError(TokenErrorKind.InvalidClient, call, "client_id");
        if (secret != Options.ClientSecret) return TokenError(TokenErrorKind.InvalidClient, call, "client_secret");
        return null;
    }

    private Reply ExchangeCode(TokenCall call)
    {
        var value = call["code"];
        if (value is null) return TokenError(TokenErrorKind.InvalidRequest, call, "code is required");
        if (!_codes.TryRemove(value, out var code))
        {
            // RFC 6749 §4.1.2: a code used twice must fail, and the server SHOULD revoke the tokens issued from it.
            if (_redeemedCodes.TryGetValue(value, out var earlier))
            {
                earlier.Revoked = true;
                return TokenError(TokenErrorKind.CodeReused, call);
            }
            return TokenError(TokenErrorKind.InvalidCode, call);
        }
        call.Account = code.Account.Email;
        if (Now - code.IssuedAt > Options.AuthorizationCodeLifetime) return TokenError(TokenErrorKind.InvalidCode, call, "expired");
        // RFC 6749 §4.1.3: the code must have been issued to the authenticated client ...
        if (code.ClientId != call.ClientId) return TokenError(TokenErrorKind.InvalidCode, call, "issued to another client");
        // ... and redirect_uri must be present and identical when the authorization request had one. GitHub makes it
        // optional at the token endpoint, but checks it when given.
        var redirectUri = call["redirect_uri"];
        if (code.RedirectUri is not null
            && ((redirectUri is null && Style != FakeProviderStyle.GitHub)
                || (redirectUri is not null && !string.Equals(redirectUri, code.RedirectUri, StringComparison.Ordinal))))
            return TokenError(TokenErrorKind.RedirectMismatch, call);
        // RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge; the verifier is 43-128 unreserved characters.
        if (code.Challenge is not null)
        {
            var verifier = call["code_verifier"];
            if (verifier is null || verifier.Length is < 43 or > 128 || !verifier.All(c => IsBase64UrlChar(c) || c is '.' or '~')
                || S256(verifier) != code.Challenge)
                return TokenError(TokenErrorKind.PkceMismatch, call);
        }

        var grant = new Grant(code.Account, code.ClientId, code.Scope, code.UserScope);
        _redeemedCodes[value] = grant;
        var lifetime = AccessTokenLifetime;

        if (Style == FakeProviderStyle.Slack)
        {
            var bot = grant.Scope.Length > 0 ? IssueAccessToken(grant, TokenKind.SlackBot, lifetime) : null;
            var user = grant.UserScope is { Length: > 0 } ? IssueAccessToken(grant, TokenKind.SlackUser, lifetime) : null;
            var rotation = Options.SlackTokenRotation && !Options.OmitRefreshToken;
            return SlackExchange(grant, bot, rotation && bot is not null ? IssueRefreshToken(grant, TokenKind.SlackBot) : null,
                user, rotation && user is not null ? IssueRefreshToken(grant, TokenKind.SlackUser) : null);
        }

        var access = IssueAccessToken(grant, TokenKind.Standard, lifetime);
        var issueRefresh = Profile.IssuesRefreshTokens && !Options.OmitRefreshToken && code.Offline;
        if (issueRefresh && Style == FakeProviderStyle.Google)
        {
            // Google returns a refresh token the first time a user grants offline access to a client, and again only
            // when the authorization request forces the consent screen (prompt=consent).
            // https://developers.google.com/identity/protocols/oauth2/web-server#offline
            var key = code.Account.Email + "|" + code.ClientId;
            issueRefresh = _googleOfflineGranted.TryAdd(key, true) || code.ConsentPrompted;
        }
        var refresh = issueRefresh ? IssueRefreshToken(grant, TokenKind.Standard) : null;
        return TokenSuccess(call, grant, access, refresh, refreshIsNull: false);
    }

    private Reply Refresh(TokenCall call)
    {
        var value = call["refresh_token"];
        if (value is null) return TokenError(TokenErrorKind.InvalidRequest, call, "refresh_token is required");
        if (!_refreshTokens.TryGetValue(value, out var entry)) return TokenError(TokenErrorKind.InvalidRefreshToken, call);
        call.Account = entry.Grant.Account.Email;
        var rotate = RotateRefreshTokens;
        lock (entry)
        {
            if (entry.Rotated)
            {
                Interlocked.Increment(ref _reusedRefreshTokens);
                return TokenError(TokenErrorKind.InvalidRefreshToken, call, "rotated");
            }
            if (entry.Revoked || entry.Grant.Revoked || entry.Grant.ClientId != call.ClientId)
                return TokenError(TokenErrorKind.InvalidRefreshToken, call);
            if (rotate) entry.Rotated = true;
        }

        var grant = entry.Grant;
        var access = IssueAccessToken(grant, entry.Kind, AccessTokenLifetime);
        var reply = rotate ? RefreshReply.NewKeepOld : Profile.RefreshReply;
        var refresh = reply switch
        {
            RefreshReply.Same => entry,
            RefreshReply.NewKeepOld => IssueRefreshToken(grant, entry.Kind),
            _ => null,
        };
        return Style == FakeProviderStyle.Slack
            ? SlackRefresh(grant, access, refresh)
            : TokenSuccess(call, grant, access, refresh, refreshIsNull: reply == RefreshReply.Null);
    }

    private static string S256(string verifier) => Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    // ---- success bodies ----

    private JsonNode? ExpiresIn(AccessTokenEntry access)
    {
        if (access.ExpiresAt is not { } expiresAt) return null;
        var seconds = (long)Math.Round((expiresAt - Now).TotalSeconds);
        return Options.ExpiresInAsString ? JsonValue.Create(seconds.ToString()) : JsonValue.Create(seconds);
    }

    private Reply TokenSuccess(TokenCall call, Grant grant, AccessTokenEntry access, RefreshTokenEntry? refresh, bool refreshIsNull)
    {
        var account = grant.Account;
        JsonObject body;
        switch (Style)
        {
            case FakeProviderStyle.Google:
                // {access_token, expires_in, refresh_token?, scope, token_type: "Bearer", id_token?}
                // https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
                body = new JsonObject { ["access_token"] = access.Token, ["expires_in"] = ExpiresIn(access) };
                if (refresh is not null) body["refresh_token"] = refresh.Token;
                body["scope"] = grant.Scope;
                body["token_type"] = "Bearer";
                if (HasScope(grant, "openid")) body["id_token"] = IdToken(grant, access);
                break;
            case FakeProviderStyle.Notion:
                // https://developers.notion.com/reference/create-a-token
                body = new JsonObject
                {
                    ["access_token"] = access.Token,
                    ["token_type"] = "bearer",
                    ["refresh_token"] = refreshIsNull ? null : refresh?.Token,
                    ["bot_id"] = grant.Id,
                    ["workspace_id"] = NotionWorkspaceId,
                    ["workspace_name"] = SlackTeamName,
                    ["workspace_icon"] = "https://www.notion.so/images/fake-workspace.png",
                    ["owner"] = new JsonObject { ["type"] = "user", ["user"] = NotionUser(account) },
                    ["duplicated_template_id"] = null,
                    ["request_id"] = Guid.NewGuid().ToString(),
                };
                if (refresh is null && !refreshIsNull) body.Remove("refresh_token");
                break;
            case FakeProviderStyle.GitHub:
                // Scopes in the response are comma-separated ("repo,gist") although requested space-separated.
                // https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
                body = new JsonObject
                {
                    ["access_token"] = access.Token,
                    ["token_type"] = "bearer",
                    ["scope"] = string.Join(',', grant.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)),
                };
                if (refresh is not null)
                {
                    body["expires_in"] = ExpiresIn(access);
                    body["refresh_token"] = refresh.Token;
                }
                break;
            case FakeProviderStyle.Microsoft:
                // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response-2
                body = new JsonObject
                {
                    ["token_type"] = "Bearer",
                    ["scope"] = grant.Scope,
                    ["expires_in"] = ExpiresIn(access),
                    ["ext_expires_in"] = ExpiresIn(access),
                    ["access_token"] = access.Token,
                };
                if (refresh is not null) body["refresh_token"] = refresh.Token;
                if (HasScope(grant, "openid")) body["id_token"] = IdToken(grant, access);
                break;
            case FakeProviderStyle.HubSpot:
                // https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
                body = new JsonObject
                {
                    ["token_type"] = "bearer",
                    ["access_token"] = access.Token,
                    ["refresh_token"] = refresh?.Token,
                    ["expires_in"] = ExpiresIn(access),
                    ["hub_id"] = HubSpotHubId,
                    ["user_id"] = long.Parse(account.Id),
                    ["scopes"] = new JsonArray(grant.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => (JsonNode?)s).ToArray()),
                };
                if (refresh is null) body.Remove("refresh_token");
                break;
            default:
                // Discord (https://discord.com/developers/docs/topics/oauth2#authorization-code-grant-access-token-response)
                // and Generic (RFC 6749 §5.1).
                body = new JsonObject
                {
                    ["access_token"] = access.Token,
                    ["token_type"] = "Bearer",
                    ["expires_in"] = ExpiresIn(access),
                };
                if (refresh is not null) body["refresh_token"] = refresh.Token;
                body["scope"] = grant.Scope;
                if (Style == FakeProviderStyle.Discord && HasScope(grant, "bot") && call.GrantType == "authorization_code")
                    body["guild"] = new JsonObject { ["id"] = Options.DiscordGuildId, ["name"] = "Guild " + Options.DiscordGuildId, ["owner_id"] = account.Id };
                // https://pipedrive.readme.io/docs/marketplace-oauth-authorization#step-5-getting-the-tokens
                if (Style == FakeProviderStyle.Pipedrive && Options.PipedriveApiDomain is { } apiDomain) body["api_domain"] = apiDomain;
                if (Style == FakeProviderStyle.Generic && Options.ExtraTokenMembers is { } extra)
                    foreach (var (name, value) in extra(BaseUrl)) body[name] = value;
                break;
        }
        if (body["expires_in"] is null) body.Remove("expires_in");
        if (body["ext_expires_in"] is null) body.Remove("ext_expires_in");
        return Style == FakeProviderStyle.GitHub && !call.AcceptJson ? FormReply(200, body) : JsonReply(200, body);
    }

    /// <summary>
    /// oauth.v2.access: bot token at the top level, user token under authed_user, comma-separated scopes,
    /// refresh_token/expires_in only with token rotation. https://docs.slack.dev/reference/methods/oauth.v2.access
    /// </summary>
    private Reply SlackExchange(Grant grant, AccessTokenEntry? bot, RefreshTokenEntry? botRefresh, AccessTokenEntry? user, RefreshTokenEntry? userRefresh)
    {
        var body = new JsonObject { ["ok"] = true, ["app_id"] = SlackAppId };
        if (bot is not null)
        {
            body["access_token"] = bot.Token;
            body["token_type"] = "bot";
            body["scope"] = grant.Scope;
            body["bot_user_id"] = SlackBotUserId;
            if (botRefresh is not null)
            {
                body["refresh_token"] = botRefresh.Token;
                body["expires_in"] = ExpiresIn(bot);
            }
        }
        body["team"] = new JsonObject { ["id"] = SlackTeamId, ["name"] = SlackTeamName };
        body["enterprise"] = null;
        body["is_enterprise_install"] = false;
        var authedUser = new JsonObject { ["id"] = grant.Account.Id };
        if (user is not null)
        {
            authedUser["scope"] = grant.UserScope;
            authedUser["access_token"] = user.Token;
            authedUser["token_type"] = "user";
            if (userRefresh is not null)
            {
                authedUser["refresh_token"] = userRefresh.Token;
                authedUser["expires_in"] = ExpiresIn(user);
            }
        }
        body["authed_user"] = authedUser;
        return JsonReply(200, body);
    }

    /// <summary>oauth.v2.access with grant_type=refresh_token (token rotation). https://docs.slack.dev/authentication/using-token-rotation</summary>
    private Reply SlackRefresh(Grant grant, AccessTokenEntry access, RefreshTokenEntry? refresh)
    {
        var isUser = access.Kind == TokenKind.SlackUser;
        var body = new JsonObject
        {
            ["ok"] = true,
            ["app_id"] = SlackAppId,
            ["access_token"] = access.Token,
            ["token_type"] = isUser ? "user" : "bot",
            ["scope"] = isUser ? grant.UserScope : grant.Scope,
            ["refresh_token"] = refresh?.Token,
            ["expires_in"] = ExpiresIn(access),
            ["team"] = new JsonObject { ["id"] = SlackTeamId, ["name"] = SlackTeamName },
            ["enterprise"] = null,
            ["is_enterprise_install"] = false,
        };
        if (isUser) body["user_id"] = grant.Account.Id;
        else body["bot_user_id"] = SlackBotUserId;
        return JsonReply(200, body);
    }

    private static bool HasScope(Grant grant, string scope) => grant.Scope.Split(' ').Contains(scope);

    /// <summary>An OIDC id_token shaped JWT. Not signed with a real key: the engine must not rely on it for anything but display.</summary>
    private string IdToken(Grant grant, AccessTokenEntry access)
    {
        var header = new JsonObject { ["alg"] = "RS256", ["kid"] = "fake", ["typ"] = "JWT" };
        var now = Now.ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["iss"] = Options.Issuer ?? BaseUrl,
            ["aud"] = grant.ClientId,
            ["sub"] = grant.Account.Id,
            ["email"] = grant.Account.Email,
            ["email_verified"] = true,
            ["name"] = grant.Account.Name,
            ["iat"] = now,
            ["exp"] = access.ExpiresAt?.ToUnixTimeSeconds() ?? now + 3600,
        };
        static string Part(JsonObject o) => Base64Url(Encoding.UTF8.GetBytes(o.ToJsonString()));
        return Part(header) + "." + Part(payload) + "." + Base64Url(Encoding.UTF8.GetBytes("not-a-signature"));
    }

    // ---- error bodies ----

    private Reply InjectedFailure(TokenFailure failure, TokenCall call)
    {
        if (failure.OAuthError is { } error)
        {
            return error switch
            {
                "invalid_grant" => TokenError(call.GrantType == "refresh_token" ? TokenErrorKind.InvalidRefreshToken : TokenErrorKind.InvalidCode, call),
                "invalid_client" => TokenError(TokenErrorKind.InvalidClient, call, "client_secret"),
                "invalid_request" => TokenError(TokenErrorKind.InvalidRequest, call, "injected"),
                "unsupported_grant_type" => TokenError(TokenErrorKind.UnsupportedGrantType, call, call.GrantType),
                _ => JsonReply(400, new JsonObject { ["error"] = error, ["error_description"] = "injected failure" }, error),
            };
        }
        var status = failure.StatusCode ?? 500;
        var body = failure.Body ?? (status == 429 ? "Too Many Requests" : "Internal Server Error");
        var contentType = body.TrimStart().StartsWith('{') ? "application/json; charset=utf-8" : "text/plain; charset=utf-8";
        return new Reply(status, contentType, body, $"http_{status}", failure.RetryAfter);
    }

    /// <summary>The style's token error format (status code, body shape and error names).</summary>
    private Reply TokenError(TokenErrorKind kind, TokenCall call, string? detail = null)
    {
        var rfcError = kind switch
        {
            TokenErrorKind.InvalidRequest => "invalid_request",
            TokenErrorKind.InvalidClient => "invalid_client",
            TokenErrorKind.UnsupportedGrantType => "unsupported_grant_type",
            _ => "invalid_grant",
        };
        switch (Style)
        {
            case FakeProviderStyle.Google:
                {
                    // https://developers.google.com/identity/protocols/oauth2/web-server#exchange-errors
                    var (status, error, description) = kind switch
                    {
                        TokenErrorKind.InvalidClient => (401, "invalid_client", "Unauthorized"),
                        TokenErrorKind.InvalidRefreshToken => (400, "invalid_grant", "Token has been expired or revoked."),
                        TokenErrorKind.RedirectMismatch => (400, "redirect_uri_mismatch", "Bad Request"),
                        TokenErrorKind.InvalidRequest => (400, "invalid_request", detail ?? "Bad Request"),
                        TokenErrorKind.UnsupportedGrantType => (400, "unsupported_grant_type", $"Invalid grant_type: {detail}"),
                        _ => (400, "invalid_grant", "Bad Request"),
                    };
                    return JsonReply(status, new JsonObject { ["error"] = error, ["error_description"] = description }, rfcError);
                }
            case FakeProviderStyle.Slack:
                {
                    // Always HTTP 200 with {ok:false, error}. https://docs.slack.dev/reference/methods/oauth.v2.access#errors
                    var error = kind switch
                    {
                        TokenErrorKind.InvalidClient => detail == "client_id" ? "invalid_client_id" : "bad_client_secret",
                        TokenErrorKind.InvalidRefreshToken => "invalid_refresh_token",
                        TokenErrorKind.RedirectMismatch => "bad_redirect_uri",
                        TokenErrorKind.UnsupportedGrantType => "invalid_grant_type",
                        TokenErrorKind.InvalidRequest => "invalid_arguments",
                        TokenErrorKind.CodeReused => "code_already_used",
                        _ => "invalid_code",
                    };
                    return JsonReply(200, new JsonObject { ["ok"] = false, ["error"] = error }, rfcError);
                }
            case FakeProviderStyle.Notion:
                {
                    // RFC 6749 names with a request_id; 401 for invalid_client (exact descriptions unverified).
                    // https://developers.notion.com/reference/status-codes
                    var body = new JsonObject { ["error"] = rfcError };
                    if (kind != TokenErrorKind.InvalidClient) body["error_description"] = NotionDescription(kind, detail);
                    body["request_id"] = Guid.NewGuid().ToString();
                    return JsonReply(kind == TokenErrorKind.InvalidClient ? 401 : 400, body, rfcError);
                }
            case FakeProviderStyle.GitHub:
                {
                    // HTTP 200 with {error, error_description, error_uri}, form-encoded unless Accept: application/json.
                    // https://docs.github.com/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
                    var (error, description, anchor) = kind switch
                    {
                        TokenErrorKind.InvalidClient => ("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.", "incorrect-client-credentials"),
                        TokenErrorKind.RedirectMismatch => ("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.", "redirect-uri-mismatch2"),
                        TokenErrorKind.InvalidRefreshToken => ("bad_refresh_token", "The refresh token passed is incorrect or expired.", "bad-refresh-token"),
                        TokenErrorKind.UnsupportedGrantType => ("unsupported_grant_type", "The grant type is not supported.", "unsupported-grant-type"),
                        _ => ("bad_verification_code", "The code passed is incorrect or expired.", "bad-verification-code"),
                    };
                    var body = new JsonObject
                    {
                        ["error"] = error,
                        ["error_description"] = description,
                        ["error_uri"] = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#" + anchor,
                    };
                    return call.AcceptJson ? JsonReply(200, body, rfcError) : FormReply(200, body, rfcError);
                }
            case FakeProviderStyle.Microsoft:
                {
                    // {error, error_description: "AADSTSnnnn: ...", error_codes: [n], timestamp, trace_id, correlation_id}
                    // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-1
                    var (status, code, message) = kind switch
                    {
                        TokenErrorKind.InvalidClient => (401, 7000215, "Invalid client secret provided."),
                        TokenErrorKind.CodeReused => (400, 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."),
                        TokenErrorKind.PkceMismatch => (400, 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request."),
                        TokenErrorKind.RedirectMismatch => (400, 500112, "The reply address does not match the reply address provided when requesting Authorization code."),
                        TokenErrorKind.InvalidRefreshToken => (400, 70000, "The provided grant has expired due to it being revoked, a fresh auth token is needed."),
                        TokenErrorKind.InvalidRequest => (400, 900144, $"The request body must contain the following parameter: '{detail}'."),
                        TokenErrorKind.UnsupportedGrantType => (400, 70003, "The app requested an unsupported grant type."),
                        _ => (400, 70000, "The provided value for the 'code' parameter is not valid."),
                    };
                    var traceId = Guid.NewGuid().ToString();
                    var correlationId = Guid.NewGuid().ToString();
                    var timestamp = Now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'");
                    return JsonReply(status, new JsonObject
                    {
                        ["error"] = rfcError,
                        ["error_description"] = $"AADSTS{code}: {message} Trace ID: {traceId} Correlation ID: {correlationId} Timestamp: {timestamp}",
                        ["error_codes"] = new JsonArray(code),
                        ["timestamp"] = timestamp,
                        ["trace_id"] = traceId,
                        ["correlation_id"] = correlationId,
                        ["error_uri"] = "https://login.microsoftonline.com/error?code=" + code,
                    }, rfcError);
                }
            case FakeProviderStyle.HubSpot:
                {
                    // HubSpot's own format: 400 {status: "BAD_REFRESH_TOKEN", message, correlationId, category} (no RFC error member).
                    // https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/create-oauth-token
                    var (status, message) = kind switch
                    {
                        TokenErrorKind.InvalidClient => (detail == "client_id" ? "BAD_CLIENT_ID" : "BAD_CLIENT_SECRET", "missing or invalid client credentials"),
                        TokenErrorKind.InvalidRefreshToken => ("BAD_REFRESH_TOKEN", "missing or invalid refresh token"),
                        TokenErrorKind.RedirectMismatch => ("BAD_REDIRECT_URI", "redirect_uri does not match initial auth code URL"),
                        TokenErrorKind.UnsupportedGrantType => ("BAD_GRANT_TYPE", "unsupported grant_type"),
                        TokenErrorKind.InvalidRequest => ("VALIDATION_ERROR", detail ?? "invalid input"),
                        _ => ("BAD_AUTH_CODE", "missing or unknown auth code"),
                    };
                    return JsonReply(400, new JsonObject
                    {
                        ["status"] = status,
                        ["message"] = message,
                        ["correlationId"] = Guid.NewGuid().ToString(),
                        ["category"] = "VALIDATION_ERROR",
                    }, rfcError);
                }
            case FakeProviderStyle.Discord:
                {
                    // {"error": "invalid_grant", "error_description": "Invalid \"code\" in request."}; a bad refresh token gives a
                    // bare {"error": "invalid_grant"}. https://github.com/discord/discord-api-docs/issues/5579, .../issues/1650
                    var body = new JsonObject { ["error"] = rfcError };
                    var description = kind switch
                    {
                        TokenErrorKind.InvalidCode or TokenErrorKind.CodeReused or TokenErrorKind.PkceMismatch => "Invalid \"code\" in request.",
                        TokenErrorKind.RedirectMismatch => "Invalid \"redirect_uri\" in request.",
                        TokenErrorKind.InvalidRequest => detail,
                        _ => null,
                    };
                    if (description is not null) body["error_description"] = description;
                    return JsonReply(kind == TokenErrorKind.InvalidClient ? 401 : 400, body, rfcError);
                }
            default:
                {
                    // RFC 6749 §5.2. invalid_client is 401, with WWW-Authenticate when the client tried HTTP Basic.
                    var body = new JsonObject { ["error"] = rfcError, ["error_description"] = detail ?? kind.ToString() };
                    return kind == TokenErrorKind.InvalidClient
                        ? JsonReply(401, body, rfcError) with { WwwAuthenticate = call.Auth == ClientAuthMethod.Basic ? "Basic realm=\"fake\"" : null }
                        : JsonReply(400, body, rfcError);
                }
        }
    }

    private static string NotionDescription(TokenErrorKind kind, string? detail) => kind switch
    {
        TokenErrorKind.InvalidRequest => detail ?? "Invalid request.",
        TokenErrorKind.RedirectMismatch => "Invalid redirect_uri.",
        TokenErrorKind.InvalidRefreshToken => "Invalid refresh token.",
        TokenErrorKind.UnsupportedGrantType => "Unsupported grant_type.",
        _ => "Invalid code.",
    };

    // ---- wire helpers ----

    private static Reply JsonReply(int status, JsonNode body, string? error = null) =>
        new(status, "application/json; charset=utf-8", body.ToJsonString(), error);

    /// <summary>GitHub's default token response: the members as application/x-www-form-urlencoded.</summary>
    private static Reply FormReply(int status, JsonObject body, string? error = null)
    {
        var pairs = body.Where(p => p.Value is not null)
            .Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value!.ToString()));
        return new Reply(status, "application/x-www-form-urlencoded; charset=utf-8", string.Join('&', pairs), error);
    }

    private static Dictionary<string, string> ParseForm(string body)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in QueryHelpers.ParseQuery(body)) result[key] = value.ToString();
        return result;
    }

    /// <summary>A JSON object's members as strings (numbers and booleans as their JSON text); null if not a JSON object.</summary>
    private static Dictionary<string, string>? ParseJsonObject(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Null) continue;
                result[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
            return result;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>HTTP Basic client credentials; RFC 6749 §2.3.1 form-urlencodes id and secret before base64.</summary>
    private static (string Id, string Secret)? ParseBasic(string authorization)
    {
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            var colon = decoded.IndexOf(':');
            if (colon < 0) return null;
            return (System.Net.WebUtility.UrlDecode(decoded[..colon]), System.Net.WebUtility.UrlDecode(decoded[(colon + 1)..]));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
