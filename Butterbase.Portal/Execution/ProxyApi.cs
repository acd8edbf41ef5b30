using System.Security.Claims;
using System.Text.Json;
using Butterbase.Portal.Api;
using Butterbase.Portal.Connections;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Butterbase.Portal.Execution;

/// <summary>
/// `POST /proxy`: any endpoint of a connected provider, with the connection's credentials. The caller rules are
/// execute's (an API key names the end user in `userId`; a user token acts for its own user).
/// </summary>
public static class ProxyApi
{
    public static RouteGroupBuilder MapProxyApi(this RouteGroupBuilder integrations)
    {
        integrations.MapPost("/proxy", Proxy).Validate<ProxyRequest>()
            .WithSummary("Send a request to any endpoint of a connected provider")
            .WithDescription("The request goes to the connection's API base with its credentials (refreshed when stale; one forced refresh and "
                + "retry on a 401). The path is relative to the API base and cannot leave it; an absolute URL must have the API base's scheme, host "
                + "and port. Only allow-listed caller headers pass. No redirects are followed. The answer is the provider's status, kept headers "
                + "and body (JSON, text, or bodyBase64 for binary), at most 1,000,000 bytes. Logged as an execution named {TOOLKIT}_PROXY.")
            .Produces<ApiError>(404).Produces<ApiError>(409).Produces<ApiError>(502).Produces<ApiError>(504);
        return integrations;
    }

    public sealed record ProxyRequest(
        string? Toolkit, string? ConnectionId, string? UserId, string? Method, string? Path, JsonElement? Query,
        Dictionary<string, string>? Headers, JsonElement? Body);

    public sealed class ProxyRequestValidator : AbstractValidator<ProxyRequest>
    {
        public ProxyRequestValidator()
        {
            RuleFor(x => x.Toolkit).NotEmpty().When(x => string.IsNullOrEmpty(x.ConnectionId))
                .WithMessage("Name the toolkit (e.g. \"github\") or the connection (connectionId).").MaximumLength(64).OverridePropertyName("toolkit");
            RuleFor(x => x.ConnectionId).MaximumLength(40).OverridePropertyName("connectionId");
            RuleFor(x => x.UserId).MaximumLength(256).OverridePropertyName("userId");
            RuleFor(x => x.Method).NotEmpty().WithMessage("Say the HTTP method: GET, HEAD, POST, PUT, PATCH or DELETE.").OverridePropertyName("method");
            RuleFor(x => x.Path).NotEmpty().WithMessage("Say the path, relative to the toolkit's API base (e.g. \"/user/repos\").").OverridePropertyName("path");
        }
    }

    public static async Task<Results<Ok<ProxyResult>, JsonHttpResult<ApiError>>> Proxy(
        string appId, ProxyRequest body, ClaimsPrincipal principal, HttpRequest http, ProxyRunner proxy, ConnectFlow flow, CancellationToken ct)
    {
        var (endUser, problem) = principal.Caller().EndUser(body.UserId);
        if (problem is { } p) return ApiErrors.ForEndUser(p);
        var (result, failure) = await proxy.SendAsync(new ProxyRunner.Call(appId, endUser!, body.Toolkit is { Length: > 0 } t ? t : null,
            body.ConnectionId is { Length: > 0 } c ? c : null, body.Method!, body.Path!, body.Query, body.Headers, body.Body, flow.Origin(http)), ct);
        if (failure is not null) return ApiErrors.Result(failure.Status, failure.Code, failure.Message, failure.Details);
        // The answer is one user's provider data: no shared cache keeps it.
        http.HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(result!);
    }
}
