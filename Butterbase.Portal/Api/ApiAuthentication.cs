using System.Security.Claims;
using System.Text.Encodings.Web;
using Butterbase.Portal.Apps;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Api;

/// <summary>
/// `Authorization: Bearer` for the REST API: an app API key (`bb_sk_…`, admin rights on its app) or an
/// end-user JWT (minted here, or by the app's own issuer). Challenges and refusals answer with the API's
/// JSON error body, never a redirect or an empty page.
/// </summary>
public sealed class ApiAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeys apiKeys,
    UserTokens userTokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Api";
    public const string AppIdClaim = "app_id";
    public const string CredentialClaim = "credential";
    public const string ApiKeyCredential = "api_key";
    public const string UserCredential = "user";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 8192)
            return AuthenticateResult.Fail("Unsupported authorization scheme.");
        var credential = header["Bearer ".Length..].Trim();

        if (credential.StartsWith(ApiKeys.Scheme, StringComparison.Ordinal))
        {
            var key = await apiKeys.VerifyAsync(credential, Context.RequestAborted);
            if (key is null) return AuthenticateResult.Fail("Unknown or revoked API key.");
            return Success(key.AppId, ApiKeyCredential, new Claim("key_id", key.Id));
        }

        var routeAppId = Context.GetRouteValue("appId") as string;
        var user = await userTokens.ValidateAsync(credential, routeAppId, Context.RequestAborted);
        if (user is not { } u) return AuthenticateResult.Fail("Invalid user token.");
        return Success(u.AppId, UserCredential, new Claim("sub", u.UserId));
    }

    private AuthenticateResult Success(string appId, string credential, Claim extra)
    {
        var identity = new ClaimsIdentity([new Claim(AppIdClaim, appId), new Claim(CredentialClaim, credential), extra], SchemeName, "sub", null);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // A protected resource that publishes its metadata (MCP) names it, so a client can discover how to get a token (RFC 9728 §5.1).
        Response.Headers.WWWAuthenticate = Context.GetEndpoint()?.Metadata.GetMetadata<BearerResourceMetadata>() is { } metadata
            ? $"Bearer resource_metadata=\"{metadata.Url(Context)}\""
            : "Bearer";
        return ApiErrors.WriteAsync(Context, 401, ErrorCodes.Unauthorized,
            "Send a valid API key or user token as 'Authorization: Bearer <credential>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiErrors.WriteAsync(Context, 403, ErrorCodes.Forbidden, "This credential is not valid for this app.");
}

/// <summary>Endpoint metadata: the URL of the endpoint's OAuth Protected Resource Metadata (RFC 9728), sent in 401 challenges.</summary>
public sealed record BearerResourceMetadata(Func<HttpContext, string> Url);

/// <summary>Writes 403s with the reason the requirement gave (e.g. "needs the app's API key").</summary>
public sealed class ApiAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly Microsoft.AspNetCore.Authorization.Policy.AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, Microsoft.AspNetCore.Authorization.Policy.PolicyAuthorizationResult result)
    {
        if (result.Forbidden && ApiErrors.IsApiRequest(context))
        {
            var reason = result.AuthorizationFailure?.FailureReasons.FirstOrDefault()?.Message
                ?? "This credential is not valid for this app.";
            return ApiErrors.WriteAsync(context, 403, ErrorCodes.Forbidden, reason);
        }
        return _default.HandleAsync(next, context, policy, result);
    }
}

/// <summary>The credential must belong to the app in the route; admin endpoints also need an API key.</summary>
public sealed record AppAccessRequirement(bool AdminOnly) : IAuthorizationRequirement;

public sealed class AppAccessHandler : AuthorizationHandler<AppAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AppAccessRequirement requirement)
    {
        if (context.Resource is not HttpContext http) return Task.CompletedTask;
        var routeAppId = http.GetRouteValue("appId") as string;
        var user = context.User;
        if (routeAppId is null || user.FindFirstValue(ApiAuthenticationHandler.AppIdClaim) != routeAppId)
            return Task.CompletedTask;
        if (requirement.AdminOnly && user.FindFirstValue(ApiAuthenticationHandler.CredentialClaim) != ApiAuthenticationHandler.ApiKeyCredential)
        {
            context.Fail(new AuthorizationFailureReason(this, "This endpoint needs the app's API key; a user token is not enough."));
            return Task.CompletedTask;
        }
        context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

public static class ApiPolicies
{
    /// <summary>Any credential of the app (API key or end-user JWT).</summary>
    public const string App = "app";
    /// <summary>The app's API key only.</summary>
    public const string AppAdmin = "app-admin";

    public static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(App, p => p.AddAuthenticationSchemes(ApiAuthenticationHandler.SchemeName).RequireAuthenticatedUser().AddRequirements(new AppAccessRequirement(false)));
        options.AddPolicy(AppAdmin, p => p.AddAuthenticationSchemes(ApiAuthenticationHandler.SchemeName).RequireAuthenticatedUser().AddRequirements(new AppAccessRequirement(true)));
    }

    public static ClaimsPrincipalCaller Caller(this ClaimsPrincipal user) => new(
        user.FindFirstValue(ApiAuthenticationHandler.AppIdClaim)!,
        user.FindFirstValue(ApiAuthenticationHandler.CredentialClaim) == ApiAuthenticationHandler.ApiKeyCredential,
        user.FindFirstValue("sub"));
}

/// <summary>Who is calling: the app, whether with its API key, and the end user for JWT callers.</summary>
public sealed record ClaimsPrincipalCaller(string AppId, bool IsApiKey, string? UserId)
{
    /// <summary>
    /// The end user a call acts for, the one rule of the API (execute, connect, functions' asUser): an API key names
    /// any user (and must name one); a user token acts for its own user only (naming itself is allowed).
    /// </summary>
    public (string? UserId, EndUserProblem? Problem) EndUser(string? requested) =>
        IsApiKey
            ? requested is { Length: > 0 } ? (requested, null) : (null, EndUserProblem.Unnamed)
            : requested is not null && requested != UserId ? (null, EndUserProblem.NotSelf) : (UserId, null);
}

public enum EndUserProblem
{
    /// <summary>An API-key call that did not say which end user to act for.</summary>
    Unnamed,
    /// <summary>A user token that named another user.</summary>
    NotSelf,
}
