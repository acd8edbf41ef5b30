using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Butterbase.Portal.Tests.Support.Fakes;

public sealed partial class FakeOAuthProvider
{
    private readonly record struct Answer(int Status, JsonNode? Body, Dictionary<string, string>? Headers = null);

    // ---- identity ----

    private async Task Identity(HttpContext context)
    {
        var request = context.Request;
        string? token;
        if (Style == FakeProviderStyle.HubSpot) token = request.RouteValues["access_token"] as string;
        else if (Style == FakeProviderStyle.Slack) token = BearerToken(request) ?? (await ReadFormAsync(request)).GetValueOrDefault("token");
        else token = BearerToken(request);

        var entry = FindActiveAccessToken(token);
        var (status, body, headers) = Style switch
        {
            FakeProviderStyle.Google => entry is null
                // https://developers.google.com/identity/openid-connect/openid-connect#obtainuserinfo
                ? new Answer(401, new JsonObject { ["error"] = "invalid_request", ["error_description"] = "Invalid Credentials" },
                    BearerChallenge("invalid_token"))
                : new Answer(200, new JsonObject
                {
                    ["sub"] = entry.Grant.Account.Id,
                    ["name"] = entry.Grant.Account.Name,
                    ["email"] = entry.Grant.Account.Email,
                    ["email_verified"] = true,
                }),
            FakeProviderStyle.Slack => new Answer(200, SlackAuthTest(token, entry)),
            FakeProviderStyle.Notion => NotionVersionMissing(request)
                ?? (entry is null ? NotionUnauthorized() : new Answer(200, NotionBotUser(entry.Grant))),
            FakeProviderStyle.GitHub => GitHubPreconditions(request, entry)
                // https://docs.github.com/rest/users/users#get-the-authenticated-user
                ?? new Answer(200, new JsonObject
                {
                    ["login"] = entry!.Grant.Account.Login,
                    ["id"] = long.Parse(entry.Grant.Account.Id),
                    ["node_id"] = "U_" + entry.Grant.Account.Id,
                    ["type"] = "User",
                    ["name"] = entry.Grant.Account.Name,
                    ["email"] = entry.Grant.Account.Email,
                }),
            FakeProviderStyle.Microsoft => entry is null
                ? GraphUnauthorized()
                // https://learn.microsoft.com/graph/api/user-get#response-1
                : new Answer(200, new JsonObject
                {
                    ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                    ["id"] = entry.Grant.Account.Id,
                    ["displayName"] = entry.Grant.Account.Name,
                    ["givenName"] = entry.Grant.Account.Name,
                    ["surname"] = null,
                    ["userPrincipalName"] = entry.Grant.Account.Email,
                    ["mail"] = entry.Grant.Account.Email,
                }),
            FakeProviderStyle.HubSpot => entry is null
                // Unknown token: 404 in HubSpot's error shape (exact text unverified).
                ? new Answer(404, HubSpotError("error", "Token not found", "OBJECT_NOT_FOUND"))
                // The token is in the path, no Authorization header. https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
                : new Answer(200, new JsonObject
                {
                    ["token"] = entry.Token,
                    ["user"] = entry.Grant.Account.Email,
                    ["hub_domain"] = "fake-portal.hubspot.com",
                    ["scopes"] = new JsonArray(entry.Grant.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => (JsonNode?)s).ToArray()),
                    ["hub_id"] = HubSpotHubId,
                    ["app_id"] = HubSpotAppId,
                    ["expires_in"] = ExpiresIn(entry),
                    ["user_id"] = long.Parse(entry.Grant.Account.Id),
                    ["token_type"] = "access",
                }),
            FakeProviderStyle.Discord => entry is null
                // https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
                ? new Answer(401, new JsonObject { ["message"] = "401: Unauthorized", ["code"] = 0 })
                : new Answer(200, DiscordUser(entry)),
            _ => entry is null
                ? new Answer(401, new JsonObject { ["error"] = "invalid_token" }, BearerChallenge("invalid_token"))
                : new Answer(200, new JsonObject
                {
                    ["sub"] = entry.Grant.Account.Id,
                    ["email"] = entry.Grant.Account.Email,
                    ["name"] = entry.Grant.Account.Name,
                }),
        };
        _identityRequests.Enqueue(new ResourceRequest(request.Method, request.Path, token, HeadersOf(request), status,
            status == 200 ? entry?.Grant.Account.Email : null, Now));
        await WriteAsync(context, status, body, headers);
    }

    /// <summary>auth.test: HTTP 200 always; identity of the token's bot or user. https://docs.slack.dev/reference/methods/auth.test</summary>
    private static JsonObject SlackAuthTest(string? token, AccessTokenEntry? entry)
    {
        if (token is null) return new JsonObject { ["ok"] = false, ["error"] = "not_authed" };
        if (entry is null) return new JsonObject { ["ok"] = false, ["error"] = "invalid_auth" };
        var isBot = entry.Kind == TokenKind.SlackBot;
        var body = new JsonObject
        {
            ["ok"] = true,
            ["url"] = "https://fake-workspace.slack.com/",
            ["team"] = SlackTeamName,
            ["user"] = isBot ? "fakebot" : entry.Grant.Account.Login,
            ["team_id"] = SlackTeamId,
            ["user_id"] = isBot ? SlackBotUserId : entry.Grant.Account.Id,
        };
        if (isBot) body["bot_id"] = "B0FAKEBOT";
        body["is_enterprise_install"] = false;
        return body;
    }

    /// <summary>GET /v1/users/me with an OAuth token returns the integration's bot user. https://developers.notion.com/reference/get-self</summary>
    private static JsonObject NotionBotUser(Grant grant) => new()
    {
        ["object"] = "user",
        ["id"] = grant.Id,
        ["name"] = "Fake Integration",
        ["avatar_url"] = null,
        ["type"] = "bot",
        ["bot"] = new JsonObject
        {
            ["owner"] = new JsonObject { ["type"] = "user", ["user"] = NotionUser(grant.Account) },
            ["workspace_name"] = SlackTeamName,
        },
        ["request_id"] = Guid.NewGuid().ToString(),
    };

    private static JsonObject NotionUser(FakeAccount account) => new()
    {
        ["object"] = "user",
        ["id"] = account.Id,
        ["name"] = account.Name,
        ["avatar_url"] = null,
        ["type"] = "person",
        ["person"] = new JsonObject { ["email"] = account.Email },
    };

    /// <summary>
    /// GET /users/@me. <c>email</c> is present only when the grant has the <c>email</c> scope (null otherwise).
    /// https://discord.com/developers/docs/resources/user#get-current-user
    /// </summary>
    private static JsonObject DiscordUser(AccessTokenEntry entry)
    {
        var account = entry.Grant.Account;
        var body = new JsonObject
        {
            ["id"] = account.Id,
            ["username"] = account.Login,
            ["global_name"] = account.Name,
            ["discriminator"] = "0",
            ["avatar"] = null,
        };
        if (HasScope(entry.Grant, "email"))
        {
            body["email"] = account.Email;
            body["verified"] = true;
        }
        return body;
    }

    /// <summary>Notion rejects API requests without a Notion-Version header. https://developers.notion.com/reference/versioning</summary>
    private static Answer? NotionVersionMissing(HttpRequest request) =>
        request.Headers.ContainsKey("Notion-Version")
            ? null
            : new Answer(400, new JsonObject
            {
                ["object"] = "error",
                ["status"] = 400,
                ["code"] = "missing_version",
                ["message"] = "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
                ["request_id"] = Guid.NewGuid().ToString(),
            });

    private static Answer NotionUnauthorized() =>
        // https://developers.notion.com/reference/status-codes
        new(401, new JsonObject
        {
            ["object"] = "error",
            ["status"] = 401,
            ["code"] = "unauthorized",
            ["message"] = "API token is invalid.",
            ["request_id"] = Guid.NewGuid().ToString(),
        });

    /// <summary>
    /// GitHub's API refuses requests without a User-Agent (403) and answers 401 "Bad credentials" for unknown tokens.
    /// https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent
    /// </summary>
    private static Answer? GitHubPreconditions(HttpRequest request, AccessTokenEntry? entry)
    {
        if (string.IsNullOrWhiteSpace(request.Headers.UserAgent))
            return new Answer(403, JsonValue.Create("Request forbidden by administrative rules. Please make sure your request has a User-Agent header "
                + "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."));
        if (entry is null)
            return new Answer(401, new JsonObject
            {
                ["message"] = "Bad credentials",
                ["documentation_url"] = "https://docs.github.com/rest",
                ["status"] = "401",
            });
        return null;
    }

    /// <summary>Microsoft Graph's 401. https://learn.microsoft.com/graph/errors</summary>
    private Answer GraphUnauthorized() =>
        new(401, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = "InvalidAuthenticationToken",
                ["message"] = "Access token has expired or is not yet valid.",
                ["innerError"] = new JsonObject
                {
                    ["date"] = Now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss"),
                    ["request-id"] = Guid.NewGuid().ToString(),
                    ["client-request-id"] = Guid.NewGuid().ToString(),
                },
            },
        }, BearerChallenge("invalid_token"));

    private static JsonObject HubSpotError(string status, string message, string category) => new()
    {
        ["status"] = status,
        ["message"] = message,
        ["correlationId"] = Guid.NewGuid().ToString(),
        ["category"] = category,
    };

    // ---- the protected echo API ----

    /// <summary>
    /// <c>{ApiBaseUrl}/echo</c>: returns the account the bearer token belongs to and the token itself, so tests can
    /// check that tokens never mix. 401 <c>{"error":"invalid_token"}</c> (RFC 6750 §3.1) for unknown, expired or
    /// revoked tokens, except Slack, whose Web API answers HTTP 200 <c>{ok:false, error:"invalid_auth"}</c>.
    /// The style's API preconditions apply (Notion-Version for Notion, User-Agent for GitHub).
    /// </summary>
    private async Task Echo(HttpContext context)
    {
        var request = context.Request;
        var token = BearerToken(request);
        var entry = FindActiveAccessToken(token);
        var precondition = Style switch
        {
            FakeProviderStyle.Notion => NotionVersionMissing(request),
            FakeProviderStyle.GitHub when string.IsNullOrWhiteSpace(request.Headers.UserAgent) => GitHubPreconditions(request, entry),
            _ => (Answer?)null,
        };
        var (status, body, headers) = precondition ?? (entry, Style) switch
        {
            (null, FakeProviderStyle.Slack) => new Answer(200, new JsonObject { ["ok"] = false, ["error"] = "invalid_auth" }),
            (null, _) => new Answer(401, new JsonObject { ["error"] = "invalid_token" }, BearerChallenge("invalid_token")),
            _ => new Answer(200, new JsonObject
            {
                ["ok"] = true,
                ["account"] = entry.Grant.Account.Email,
                ["account_id"] = entry.Grant.Account.Id,
                ["token"] = entry.Token,
                ["method"] = request.Method,
            }),
        };
        _apiRequests.Enqueue(new ResourceRequest(request.Method, request.Path, token, HeadersOf(request), status,
            status == 200 ? entry?.Grant.Account.Email : null, Now));
        await WriteAsync(context, status, body, headers);
    }

    // ---- revocation ----

    private async Task Revoke(HttpContext context)
    {
        var request = context.Request;
        var body = await new StreamReader(request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
        var isJson = request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true;
        var parameters = (isJson ? ParseJsonObject(body) : ParseForm(body)) ?? new Dictionary<string, string>();
        var basic = ParseBasic(request.Headers.Authorization.ToString());
        var auth = (basic, parameters.GetValueOrDefault("client_secret")) switch
        {
            (not null, not null) => ClientAuthMethod.BasicAndBody,
            (not null, null) => ClientAuthMethod.Basic,
            (null, not null) => ClientAuthMethod.Body,
            _ => ClientAuthMethod.None,
        };
        bool BasicClientOk() => basic is { } b && b.Id == Options.ClientId && b.Secret == Options.ClientSecret;
        bool ClientOk() => auth switch
        {
            ClientAuthMethod.Basic => BasicClientOk() && Profile.TokenClientAuth.Contains(ClientAuthMethod.Basic),
            ClientAuthMethod.Body => parameters.GetValueOrDefault("client_id") == Options.ClientId
                && parameters.GetValueOrDefault("client_secret") == Options.ClientSecret
                && Profile.TokenClientAuth.Contains(ClientAuthMethod.Body),
            _ => false,
        };

        string? token;
        int status;
        JsonNode? reply;
        var revoked = false;
        switch (Style)
        {
            case FakeProviderStyle.Google:
                // POST /revoke with token=... (form or query), no client authentication; revoking either token of a
                // grant revokes the grant; an unknown token is a 400.
                // https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
                token = parameters.GetValueOrDefault("token") ?? request.Query["token"].FirstOrDefault();
                revoked = token is not null && FindGrant(token) is { Revoked: false } googleGrant && (googleGrant.Revoked = true);
                (status, reply) = revoked
                    ? (200, new JsonObject())
                    : (400, new JsonObject { ["error"] = "invalid_token", ["error_description"] = "Token expired or revoked" });
                break;

            case FakeProviderStyle.Slack:
                {
                    // auth.revoke: the token to revoke is the request's own token (Bearer); HTTP 200 always; test=1 revokes nothing.
                    // https://docs.slack.dev/reference/methods/auth.revoke
                    token = BearerToken(request) ?? parameters.GetValueOrDefault("token");
                    var entry = FindActiveAccessToken(token);
                    if (token is null) (status, reply) = (200, new JsonObject { ["ok"] = false, ["error"] = "not_authed" });
                    else if (entry is null) (status, reply) = (200, new JsonObject { ["ok"] = false, ["error"] = "invalid_auth" });
                    else
                    {
                        var test = parameters.GetValueOrDefault("test") ?? request.Query["test"].FirstOrDefault();
                        revoked = test is not ("1" or "true");
                        if (revoked) entry.Revoked = true;
                        (status, reply) = (200, new JsonObject { ["ok"] = true, ["revoked"] = revoked });
                    }
                    break;
                }

            case FakeProviderStyle.Notion:
                // POST /v1/oauth/revoke, HTTP Basic client auth, JSON {token}, Notion-Version required.
                // https://developers.notion.com/reference/revoke-token
                token = parameters.GetValueOrDefault("token");
                if (NotionVersionMissing(request) is { } missing) (status, reply) = (missing.Status, missing.Body);
                else if (!BasicClientOk()) (status, reply) = (401, new JsonObject { ["error"] = "invalid_client", ["request_id"] = Guid.NewGuid().ToString() });
                else if (!isJson || token is null) (status, reply) = (400, new JsonObject { ["error"] = "invalid_request", ["request_id"] = Guid.NewGuid().ToString() });
                else
                {
                    revoked = FindGrant(token) is { Revoked: false } notionGrant && (notionGrant.Revoked = true);
                    (status, reply) = (200, new JsonObject { ["request_id"] = Guid.NewGuid().ToString() });
                }
                break;

            case FakeProviderStyle.GitHub:
                {
                    // DELETE /applications/{client_id}/grant, Basic client_id:client_secret, JSON {access_token} → 204; deletes
                    // every token of the app for that user. https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization
                    token = parameters.GetValueOrDefault("access_token");
                    var preconditions = GitHubPreconditions(request, entry: null);
                    if (preconditions is { Status: 403 } forbidden) (status, reply) = (forbidden.Status, forbidden.Body);
                    else if (request.RouteValues["client_id"] as string != Options.ClientId || !BasicClientOk())
                        (status, reply) = (404, new JsonObject { ["message"] = "Not Found", ["documentation_url"] = "https://docs.github.com/rest" });
                    else if (token is null || !_accessTokens.TryGetValue(token, out var entry) || entry.Grant.Revoked)
                        (status, reply) = (422, new JsonObject { ["message"] = "Validation Failed", ["documentation_url"] = "https://docs.github.com/rest" });
                    else
                    {
                        foreach (var grant in _accessTokens.Values.Select(a => a.Grant)
                                     .Where(g => g.Account == entry.Grant.Account && g.ClientId == entry.Grant.ClientId))
                            grant.Revoked = true;
                        revoked = true;
                        (status, reply) = (204, null);
                    }
                    break;
                }

            case FakeProviderStyle.HubSpot:
                // DELETE /oauth/v1/refresh-tokens/{token} → 204; only that refresh token stops working.
                // https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
                token = request.RouteValues["refresh_token"] as string;
                if (token is not null && _refreshTokens.TryGetValue(token, out var hubspotRefresh) && !hubspotRefresh.Revoked)
                {
                    hubspotRefresh.Revoked = true;
                    revoked = true;
                    (status, reply) = (204, null);
                }
                else (status, reply) = (404, HubSpotError("error", "refresh token not found", "OBJECT_NOT_FOUND"));
                break;

            default:
                // Discord and Generic: RFC 7009 — form token (+ token_type_hint), client authentication, 200 even for an
                // unknown token (§2.2). Revoking a refresh token ends the grant; an access token only itself.
                // https://discord.com/developers/docs/topics/oauth2#authorization-code-grant-token-revocation-example
                token = parameters.GetValueOrDefault("token");
                if (auth == ClientAuthMethod.BasicAndBody || (auth != ClientAuthMethod.None && !ClientOk()) || auth == ClientAuthMethod.None)
                    (status, reply) = (401, new JsonObject { ["error"] = "invalid_client" });
                else if (isJson || token is null)
                    (status, reply) = (400, new JsonObject { ["error"] = "invalid_request" });
                else
                {
                    if (_refreshTokens.TryGetValue(token, out var refresh) && !refresh.Grant.Revoked)
                    {
                        refresh.Grant.Revoked = true;
                        revoked = true;
                    }
                    else if (_accessTokens.TryGetValue(token, out var access) && !access.Revoked && !access.Grant.Revoked)
                    {
                        access.Revoked = true;
                        revoked = true;
                    }
                    (status, reply) = (200, Style == FakeProviderStyle.Discord ? new JsonObject() : null);
                }
                break;
        }

        _revocations.Enqueue(new RevocationRequest(request.Method, request.Path, token, auth, HeadersOf(request), body, status, revoked, Now));
        await WriteAsync(context, status, reply, null);
    }

    // ---- helpers ----

    private string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization[7..].Trim();
        // GitHub also accepts the older "token" scheme. https://docs.github.com/rest/authentication/authenticating-to-the-rest-api
        if (Style == FakeProviderStyle.GitHub && authorization.StartsWith("token ", StringComparison.OrdinalIgnoreCase)) return authorization[6..].Trim();
        return null;
    }

    private static Dictionary<string, string> BearerChallenge(string error) =>
        new() { ["WWW-Authenticate"] = $"Bearer error=\"{error}\"" };

    private static async Task<Dictionary<string, string>> ReadFormAsync(HttpRequest request)
    {
        if (!request.HasFormContentType) return new Dictionary<string, string>();
        var form = await request.ReadFormAsync();
        return form.ToDictionary(f => f.Key, f => f.Value.ToString());
    }

    private static async Task WriteAsync(HttpContext context, int status, JsonNode? body, Dictionary<string, string>? headers)
    {
        var response = context.Response;
        response.StatusCode = status;
        foreach (var (name, value) in headers ?? []) response.Headers[name] = value;
        if (body is null || status == 204) return;
        if (body is JsonValue text && text.TryGetValue<string>(out var plain))
        {
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync(plain);
            return;
        }
        response.ContentType = "application/json; charset=utf-8";
        await response.WriteAsync(body.ToJsonString());
    }
}
