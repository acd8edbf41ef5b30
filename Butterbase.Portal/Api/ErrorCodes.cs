using System.Collections.Frozen;

namespace Butterbase.Portal.Api;

/// <summary>
/// The one catalog of the error codes the API answers in `error` (and the execute envelope in `error.code`), with the
/// status they come with and what they mean. The REST API, `ctx.integrations` (Functions/), MCP and the portal name
/// codes through these constants, never as loose strings. docs/api.md "Error codes" is this table in prose:
/// `ApiDocsTests` fails when a code is here and not there, or there and not here, or their statuses differ.
/// </summary>
public static class ErrorCodes
{
    /// <param name="Status">The HTTP status a refusal with this code answers (200: only ever inside the execute envelope; 0: none, a redirect's `error=` or a bare status).</param>
    /// <param name="Statuses">Where the code appears, as docs/api.md lists it: statuses, `200` (inside the execute envelope), `redirect`.</param>
    public sealed record Entry(string Code, int Status, string Statuses, string Meaning);

    public const string AccessDenied = "access_denied";
    public const string AntiforgeryFailed = "antiforgery_failed";
    public const string BadRequest = "bad_request";
    public const string ConnectionAmbiguous = "connection_ambiguous";
    public const string ConnectionExpired = "connection_expired";
    public const string ConnectionIncomplete = "connection_incomplete";
    public const string ConnectionNotFound = "connection_not_found";
    public const string Error = "error";
    public const string ExecutionNotFound = "execution_not_found";
    public const string Forbidden = "forbidden";
    public const string FunctionCrashed = "function_crashed";
    public const string FunctionError = "function_error";
    public const string FunctionLimitExceeded = "function_limit_exceeded";
    public const string FunctionNotFound = "function_not_found";
    public const string FunctionTimeout = "function_timeout";
    public const string IdempotencyInProgress = "idempotency_in_progress";
    public const string InsufficientScope = "insufficient_scope";
    public const string InternalError = "internal_error";
    public const string InvalidJson = "invalid_json";
    public const string InvalidParams = "invalid_params";
    public const string InvalidRequest = "invalid_request";
    public const string InvalidToken = "invalid_token";
    public const string IssuerMismatch = "issuer_mismatch";
    public const string McpServerExists = "mcp_server_exists";
    public const string McpServerLimit = "mcp_server_limit";
    public const string McpServerNotFound = "mcp_server_not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string MissingCode = "missing_code";
    public const string NoConnection = "no_connection";
    public const string NoUser = "no_user";
    public const string NotFound = "not_found";
    public const string NotImplemented = "not_implemented";
    public const string OauthClientRejected = "oauth_client_rejected";
    public const string PayloadTooLarge = "payload_too_large";
    public const string ProviderError = "provider_error";
    public const string RateLimited = "rate_limited";
    public const string RedirectUrlNotAllowed = "redirect_url_not_allowed";
    public const string ResponseTooLarge = "response_too_large";
    public const string Timeout = "timeout";
    public const string TokenExchangeFailed = "token_exchange_failed";
    public const string TooManyEndpoints = "too_many_endpoints";
    public const string TooManyInvocations = "too_many_invocations";
    public const string TooManyRequests = "too_many_requests";
    public const string ToolkitDisabled = "toolkit_disabled";
    public const string ToolkitMismatch = "toolkit_mismatch";
    public const string ToolkitNotConfigured = "toolkit_not_configured";
    public const string ToolkitNotEnabled = "toolkit_not_enabled";
    public const string ToolkitNotReady = "toolkit_not_ready";
    public const string Unauthorized = "unauthorized";
    public const string UnknownTool = "unknown_tool";
    public const string UnknownToolkit = "unknown_toolkit";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string UpstreamError = "upstream_error";
    public const string ValidationFailed = "validation_failed";

    /// <summary>Every code, sorted as docs/api.md lists them.</summary>
    public static readonly IReadOnlyList<Entry> All =
    [
        new(AccessDenied, 0, "redirect", "the user refused consent (or cancelled the hosted page)"),
        new(AntiforgeryFailed, 400, "400", "portal sign-out without the portal's antiforgery token"),
        new(BadRequest, 400, "400", "a request the server could not read (not JSON-specific)"),
        new(ConnectionAmbiguous, 409, "409", "the user has several accounts of the toolkit: pass `connectionId`"),
        new(ConnectionExpired, 409, "409", "the connection's grant is gone: reconnect with `connectionId`"),
        new(ConnectionIncomplete, 409, "409", "the connection or server lacks a value the call needs (`details[0].field`)"),
        new(ConnectionNotFound, 404, "404", "`connectionId` is not one of this user's connections of the toolkit"),
        new(Error, 0, "other", "a bare status the API has no specific code for"),
        new(ExecutionNotFound, 404, "404", "no such execution in this app (or past retention)"),
        new(Forbidden, 403, "403", "the credential may not do this: another app's, a JWT on an admin endpoint, a JWT naming another user, a shared credential outside its bounds"),
        new(FunctionCrashed, 500, "500", "the function's worker process died"),
        new(FunctionError, 500, "500", "the handler threw"),
        new(FunctionLimitExceeded, 500, "500 / 429", "heap, memory or response size over the limit; in `ctx.integrations`, the per-invocation tool-call cap"),
        new(FunctionNotFound, 404, "404", "no function of that name"),
        new(FunctionTimeout, 504, "504", "the invocation ran past its timeout"),
        new(IdempotencyInProgress, 409, "409", "a request with the same `Idempotency-Key` is still running"),
        new(InsufficientScope, 403, "200 / 403", "the provider refused for a missing scope (envelope); the Sandbox API's scope check"),
        new(InternalError, 500, "500", "a bug; logged, nothing revealed"),
        new(InvalidJson, 400, "400", "malformed JSON, a missing body, or text that is not valid Unicode"),
        new(InvalidParams, 422, "422", "`params` do not match the tool's schema or cannot be sent (`details`); MCP: a bad meta-tool argument"),
        new(InvalidRequest, 422, "422 / 400", "proxy: the request cannot be sent as described (`details`); MCP: a bad `Butterbase-User-Id` header"),
        new(InvalidToken, 401, "401", "Sandbox API: the access token is invalid, expired or revoked"),
        new(IssuerMismatch, 0, "redirect", "the callback's `iss` is not the provider's (RFC 9207 mix-up defence)"),
        new(McpServerExists, 409, "409", "an MCP server of that name exists"),
        new(McpServerLimit, 409, "409", "the app has the maximum of MCP servers"),
        new(McpServerNotFound, 404, "404", "no MCP server of that id or name"),
        new(MethodNotAllowed, 405, "405", "the path exists, not with this method"),
        new(MissingCode, 0, "redirect", "the provider returned without a code"),
        new(NoConnection, 409, "409", "the user has not connected the toolkit"),
        new(NoUser, 400, "400", "no end user to act for: MCP with an API key and no `Butterbase-User-Id`; `ctx.integrations` on an API-key call without `asUser`"),
        new(NotFound, 404, "404", "no such path, app, connection, connection request, webhook endpoint or delivery"),
        new(NotImplemented, 200, "200", "a coded tool this server does not implement"),
        new(OauthClientRejected, 0, "redirect", "the provider refused the OAuth client (configuration, not the user)"),
        new(PayloadTooLarge, 413, "413", "body over 1 MiB"),
        new(ProviderError, 0, "redirect", "the provider returned another OAuth error"),
        new(RateLimited, 429, "429 / 200", "over a rate limit (`Retry-After`); in the envelope, the provider's rate limit"),
        new(RedirectUrlNotAllowed, 400, "400", "`redirectUrl` is not one of the app's allowed redirect URLs"),
        new(ResponseTooLarge, 502, "502", "proxy: the provider's answer is over 1,000,000 bytes"),
        new(Timeout, 504, "200 / 504", "the provider did not answer in time (envelope; proxy 504)"),
        new(TokenExchangeFailed, 0, "redirect", "the code exchange failed"),
        new(TooManyEndpoints, 409, "409", "the app has 20 webhook endpoints"),
        new(TooManyInvocations, 429, "429", "the app runs its maximum of concurrent invocations (`Retry-After: 1`)"),
        new(TooManyRequests, 429, "429", "`ctx.integrations`: over 32 tool calls waiting or running"),
        new(ToolkitDisabled, 409, "409 / redirect", "the toolkit is configured but disabled"),
        new(ToolkitMismatch, 0, "redirect", "state issued for another toolkit's callback path"),
        new(ToolkitNotConfigured, 404, "404", "`DELETE /configure/{toolkit}` of a toolkit never configured"),
        new(ToolkitNotEnabled, 409, "409", "the toolkit is not configured for the app"),
        new(ToolkitNotReady, 409, "409 / redirect", "the toolkit lacks what a connection needs (OAuth client, URL)"),
        new(Unauthorized, 401, "401 / 200 / 502", "no valid credential; envelope: the provider answered 401 or refused the refresh; proxy 502"),
        new(UnknownTool, 404, "404", "no such tool (MCP: not on this server)"),
        new(UnknownToolkit, 404, "404", "no such toolkit in the catalog (MCP: not on this server)"),
        new(UnsupportedMediaType, 415, "415", "the body is not `application/json`"),
        new(UpstreamError, 502, "200 / 502", "the provider answered non-2xx or could not be reached"),
        new(ValidationFailed, 422, "422", "request fields invalid (`details`)"),
    ];

    private static readonly FrozenDictionary<string, Entry> ByCode = All.ToFrozenDictionary(e => e.Code, StringComparer.Ordinal);

    /// <summary>The catalog's entry for a code; throws for a code the catalog lacks (a bug: add it here and to docs/api.md).</summary>
    public static Entry Of(string code) =>
        ByCode.TryGetValue(code, out var entry) ? entry : throw new ArgumentException($"'{code}' is not in the error-code catalog (Api/ErrorCodes.cs).", nameof(code));

    /// <summary>The HTTP status a refusal with <paramref name="code"/> answers.</summary>
    public static int StatusOf(string code) => Of(code).Status;
}
