using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Butterbase.Portal.Tests.Support.Fakes;

public sealed partial class FakeOAuthProvider
{
    /// <summary>Paths relative to <see cref="BaseUrl"/>, shaped like the real provider's (and its curated.json entry).</summary>
    private sealed record StyleLayout(string Authorize, string Token, string? Revocation, string UserInfo, string ApiBase);

    /// <summary>What a refresh response says about the refresh token when tokens are not rotated.</summary>
    private enum RefreshReply
    {
        /// <summary>No refresh_token member: keep the old one (RFC 6749 §6 "MAY issue a new refresh token").</summary>
        Omit,
        /// <summary>The same refresh token again.</summary>
        Same,
        /// <summary>A new refresh token; the old one keeps working.</summary>
        NewKeepOld,
        /// <summary><c>"refresh_token": null</c>.</summary>
        Null,
    }

    private sealed record StyleProfile(
        string AccessTokenPrefix,
        string RefreshTokenPrefix,
        string CodePrefix,
        TimeSpan? AccessTokenLifetime,
        bool RotateByDefault,
        RefreshReply RefreshReply,
        ClientAuthMethod[] TokenClientAuth,
        bool IssuesRefreshTokens);

    private StyleLayout Layout => Style switch
    {
        // https://developers.google.com/identity/protocols/oauth2/web-server (accounts.google.com/o/oauth2/v2/auth,
        // oauth2.googleapis.com/token and /revoke, OIDC userinfo at openidconnect.googleapis.com/v1/userinfo)
        FakeProviderStyle.Google => new("/o/oauth2/v2/auth", "/token", "/revoke", "/v1/userinfo", "/api"),
        // https://docs.slack.dev/authentication/installing-with-oauth (slack.com/oauth/v2/authorize, slack.com/api/<method>)
        FakeProviderStyle.Slack => new("/oauth/v2/authorize", "/api/oauth.v2.access", "/api/auth.revoke", "/api/auth.test", "/api"),
        // https://developers.notion.com/docs/authorization (api.notion.com/v1/oauth/*, /v1/users/me)
        FakeProviderStyle.Notion => new("/v1/oauth/authorize", "/v1/oauth/token", "/v1/oauth/revoke", "/v1/users/me", ""),
        // https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps (github.com/login/oauth/*);
        // the REST API (api.github.com) lives under /api here.
        FakeProviderStyle.GitHub => new("/login/oauth/authorize", "/login/oauth/access_token", "/api/applications/{client_id}/grant", "/api/user", "/api"),
        // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow (no revocation endpoint);
        // Microsoft Graph v1.0 lives under /v1.0 here.
        FakeProviderStyle.Microsoft => new("/common/oauth2/v2.0/authorize", "/common/oauth2/v2.0/token", null, "/v1.0/me", "/v1.0"),
        // https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide (v3 token endpoint; v1 token metadata and refresh-token deletion)
        FakeProviderStyle.HubSpot => new("/oauth/authorize", "/oauth/v3/token", "/oauth/v1/refresh-tokens/{refresh_token}", "/oauth/v1/access-tokens/{access_token}", ""),
        // https://discord.com/developers/docs/topics/oauth2#shared-resources-oauth2-urls
        FakeProviderStyle.Discord => new("/oauth2/authorize", "/api/oauth2/token", "/api/oauth2/token/revoke", "/api/v10/users/@me", "/api/v10"),
        // https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/ ({subdomain}.zendesk.com/oauth/*; revocation is
        // DELETE /api/v2/oauth/tokens/current.json, not RFC 7009); Support API v2 under /api/v2.
        FakeProviderStyle.Zendesk => new("/oauth/authorizations/new", "/oauth/tokens", null, "/api/v2/users/me.json", "/api/v2"),
        // https://airtable.com/developers/web/api/oauth-reference (airtable.com/oauth2/v1/*, no revocation endpoint; whoami for identity)
        FakeProviderStyle.Airtable => new("/oauth2/v1/authorize", "/oauth2/v1/token", null, "/v0/meta/whoami", "/v0"),
        // https://developer.calendly.com/api-docs (auth.calendly.com/oauth/authorize, /token, /revoke; api.calendly.com/users/me)
        FakeProviderStyle.Calendly => new("/oauth/authorize", "/oauth/token", "/oauth/revoke", "/users/me", ""),
        // https://pipedrive.readme.io/docs/marketplace-oauth-authorization (oauth.pipedrive.com/oauth/*; the API under /api on the company domain)
        FakeProviderStyle.Pipedrive => new("/oauth/authorize", "/oauth/token", "/oauth/revoke", "/api/v1/users/me", "/api"),
        // https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth (app.intercom.com/oauth,
        // api.intercom.io/auth/eagle/token; no revocation endpoint, /me for identity)
        FakeProviderStyle.Intercom => new("/oauth", "/auth/eagle/token", null, "/me", ""),
        // https://developer.monday.com/apps/docs/oauth (auth.monday.com/oauth2/*; identity is the GraphQL `me` query, no revocation)
        FakeProviderStyle.Monday => new("/oauth2/authorize", "/oauth2/token", null, "/me", ""),
        _ => new("/authorize", "/token", "/revoke", "/userinfo", "/api"),
    };

    private StyleProfile Profile => Style switch
    {
        // Google: expires_in 3599; a refresh response carries no refresh_token; client_secret_post or _basic.
        // https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
        FakeProviderStyle.Google => new("ya29.", "1//", "4/0", TimeSpan.FromSeconds(3599), false, RefreshReply.Omit,
            [ClientAuthMethod.Basic, ClientAuthMethod.Body], true),
        // Slack: tokens never expire unless the app turned on token rotation (then 12 h and a refresh token).
        // https://docs.slack.dev/authentication/using-token-rotation
        FakeProviderStyle.Slack => new("xoxb-", "xoxe-1-", "", Options.SlackTokenRotation ? TimeSpan.FromHours(12) : null, false,
            RefreshReply.NewKeepOld, [ClientAuthMethod.Basic, ClientAuthMethod.Body], Options.SlackTokenRotation),
        // Notion: access tokens do not expire; HTTP Basic client auth only; refresh responses say refresh_token: null.
        // https://developers.notion.com/reference/create-a-token, https://developers.notion.com/reference/refresh-a-token
        FakeProviderStyle.Notion => new("ntn_", "nrt_", "", null, false, RefreshReply.Null, [ClientAuthMethod.Basic], true),
        // GitHub OAuth apps: tokens do not expire, no refresh tokens; client_id/client_secret as parameters.
        // https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
        FakeProviderStyle.GitHub => new("gho_", "ghr_", "", null, false, RefreshReply.Omit, [ClientAuthMethod.Body], false),
        // Microsoft: expires_in 3599 (sample), each refresh returns a new refresh token (the old one is not revoked).
        // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
        FakeProviderStyle.Microsoft => new("EwB", "M.C5", "M.C5_", TimeSpan.FromSeconds(3599), false, RefreshReply.NewKeepOld,
            [ClientAuthMethod.Basic, ClientAuthMethod.Body], true),
        // HubSpot v3: parameters (client credentials included) in the form body; access tokens live 30 minutes;
        // the refresh token stays the same. https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
        FakeProviderStyle.HubSpot => new("CO", "na1-", "na1-", TimeSpan.FromSeconds(1800), false, RefreshReply.Same,
            [ClientAuthMethod.Body], true),
        // Discord: expires_in 604800; a refresh returns a new refresh token and the old one stops working.
        // https://discord.com/developers/docs/topics/oauth2#authorization-code-grant-refresh-token-exchange-example
        FakeProviderStyle.Discord => new("", "", "", TimeSpan.FromSeconds(604800), true, RefreshReply.Same,
            [ClientAuthMethod.Basic, ClientAuthMethod.Body], true),
        // Zendesk: expiring access tokens with refresh tokens; a refresh deletes the previous access and refresh tokens.
        // https://developer.zendesk.com/documentation/api-basics/authentication/refresh-token
        FakeProviderStyle.Zendesk => new("", "", "", TimeSpan.FromSeconds(1800), true, RefreshReply.Same, [ClientAuthMethod.Body], true),
        // Airtable: access tokens live 60 minutes, refresh tokens are single use; confidential clients authenticate with HTTP Basic.
        // https://airtable.com/developers/web/api/oauth-reference#token-refresh
        FakeProviderStyle.Airtable => new("", "", "", TimeSpan.FromSeconds(3600), true, RefreshReply.Same, [ClientAuthMethod.Basic], true),
        // Calendly: access tokens live 2 hours; refresh tokens rotate. https://developer.calendly.com/api-docs
        FakeProviderStyle.Calendly => new("eyJ", "", "", TimeSpan.FromSeconds(7200), true, RefreshReply.Same, [ClientAuthMethod.Basic, ClientAuthMethod.Body], true),
        // Pipedrive: HTTP Basic client auth only; access tokens live an hour; the refresh token stays the same.
        // https://pipedrive.readme.io/docs/marketplace-oauth-authorization#step-7-refreshing-the-tokens
        FakeProviderStyle.Pipedrive => new("v1:", "", "", TimeSpan.FromSeconds(3599), false, RefreshReply.Same, [ClientAuthMethod.Basic], true),
        // Intercom: access tokens do not expire and there are no refresh tokens; credentials in the body.
        FakeProviderStyle.Intercom => new("dG9r", "", "", null, false, RefreshReply.Omit, [ClientAuthMethod.Body], false),
        // monday.com: access tokens do not expire, no refresh tokens. https://developer.monday.com/apps/docs/oauth
        FakeProviderStyle.Monday => new("eyJ", "", "", null, false, RefreshReply.Omit, [ClientAuthMethod.Body], false),
        _ => new("at-", "rt-", "", TimeSpan.FromSeconds(3600), false, RefreshReply.Omit, Options.TokenEndpointAuth switch
        {
            TokenEndpointAuth.ClientSecretPost => [ClientAuthMethod.Body],
            TokenEndpointAuth.ClientSecretBasic => [ClientAuthMethod.Basic],
            _ => [ClientAuthMethod.Basic, ClientAuthMethod.Body],
        }, true),
    };

    private TimeSpan? AccessTokenLifetime => Options.AccessTokenLifetime ?? Profile.AccessTokenLifetime;
    private bool RotateRefreshTokens => Options.RotateRefreshTokens ?? Profile.RotateByDefault;

    private void MapEndpoints(WebApplication app)
    {
        var layout = Layout;
        void Map(string pattern, string[] methods, RequestDelegate handler) => app.MapMethods(pattern, methods, handler);

        Map(layout.Authorize, ["GET"], Authorize);
        Map(layout.Token, ["POST"], Token);
        if (layout.Revocation is { } revocation)
        {
            // GitHub and HubSpot revoke with DELETE; Slack's Web API methods take GET or POST; the rest POST (RFC 7009 §2.1).
            string[] methods = Style switch
            {
                FakeProviderStyle.GitHub or FakeProviderStyle.HubSpot => ["DELETE"],
                FakeProviderStyle.Slack => ["GET", "POST"],
                _ => ["POST"],
            };
            Map(revocation, methods, Revoke);
        }
        Map(layout.UserInfo, Style == FakeProviderStyle.Slack ? ["GET", "POST"] : ["GET"], Identity);
        Map(layout.ApiBase + "/echo", ["GET", "POST", "PUT", "PATCH", "DELETE"], Echo);
    }
}
