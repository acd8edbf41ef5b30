using System.Security.Claims;
using Butterbase.Portal.Api;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Telemetry;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Butterbase.Portal.Connections;

/// <summary>`POST /connect`, `GET /connection-requests/{id}`, `GET/DELETE /connections`, and the OAuth callback.</summary>
public static class ConnectionsApi
{
    public static RouteGroupBuilder MapConnectionsApi(this RouteGroupBuilder integrations)
    {
        integrations.MapPost("/connect", Connect).Validate<ConnectRequest>();
        integrations.MapGet("/connection-requests/{id}", GetRequest);
        integrations.MapGet("/connections", List);
        integrations.MapGet("/connections/{id}", Get);
        integrations.MapDelete("/connections/{id}", Delete);
        return integrations;
    }

    /// <summary>One callback path per toolkit (mix-up defence); registered at providers as the OAuth redirect URI.</summary>
    public static void MapOAuthCallback(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/oauth/callback/{toolkit}", Callback).AllowAnonymous().ExcludeFromDescription();

    /// <param name="Fields">Connection fields an OAuth toolkit's URLs need (`{"subdomain": "acme"}`); without them the hosted page asks.</param>
    public sealed record ConnectRequest(string? Toolkit, string? RedirectUrl, string? UserId, string? ConnectionId, Dictionary<string, string>? Fields = null);

    public sealed class ConnectRequestValidator : AbstractValidator<ConnectRequest>
    {
        public ConnectRequestValidator()
        {
            RuleFor(x => x.Toolkit).NotEmpty().WithMessage("Name the toolkit to connect, e.g. \"gmail\".").OverridePropertyName("toolkit");
            RuleFor(x => x.RedirectUrl).NotEmpty().WithMessage("Give the URL to send the user back to (one of the app's allowed redirect URLs).")
                .MaximumLength(2000).OverridePropertyName("redirectUrl");
            RuleFor(x => x.UserId).MaximumLength(256).Matches("^[A-Za-z0-9_.@:|+-]+$").When(x => x.UserId is not null)
                .WithMessage("Use letters, digits and _ . @ : | + - only.").OverridePropertyName("userId");
            RuleFor(x => x.Fields!.Count).LessThanOrEqualTo(20).When(x => x.Fields is not null)
                .WithMessage("Give at most 20 fields.").OverridePropertyName("fields");
        }
    }

    public sealed record ConnectResponse(string AuthUrl, string ConnectionRequestId);

    public sealed record RequestStatus(string Id, string Status, string? ConnectionId, string? Error);

    public sealed record ConnectionRow(string Id, string AppId, string UserId, string ToolkitSlug, string Status, string? AccountLabel,
        IReadOnlyList<string> Scopes, DateTime CreatedAt, DateTime UpdatedAt, DateTime? LastUsedAt, DateTime? ExpiresAt)
    {
        public static ConnectionRow From(Connection c) => new(c.Id, c.AppId, c.UserId, c.ToolkitSlug, c.Status, c.AccountLabel, c.Scopes,
            c.CreatedAt, c.UpdatedAt, c.LastUsedAt, c.ExpiresAt);
    }

    public static async Task<Results<Ok<ConnectResponse>, JsonHttpResult<ApiError>>> Connect(
        string appId, ConnectRequest body, ClaimsPrincipal principal, HttpRequest http, AppRegistry apps, ConnectFlow flow, CancellationToken ct)
    {
        var (userId, problem) = principal.Caller().EndUser(body.UserId);
        if (problem is { } p) return ApiErrors.ForEndUser(p);
        var app = await apps.FindAsync(appId, ct);
        if (app is null) return ApiErrors.NotFound(ErrorCodes.NotFound, "No such app.");
        var (started, failure) = await flow.StartAsync(app, userId!, body.Toolkit!, body.RedirectUrl!, body.ConnectionId, flow.Origin(http), ct, fields: body.Fields);
        if (failure is not null) return ApiErrors.Result(failure.Status, failure.Code, failure.Message, failure.Details);
        return TypedResults.Ok(new ConnectResponse(started!.AuthUrl, started.ConnectionRequestId));
    }

    public static async Task<Results<Ok<RequestStatus>, JsonHttpResult<ApiError>>> GetRequest(
        string appId, string id, ClaimsPrincipal principal, ConnectionStore store, TimeProvider clock, CancellationToken ct)
    {
        var caller = principal.Caller();
        var request = await store.FindRequestAsync(appId, id, caller.IsApiKey ? null : caller.UserId, ct);
        if (request is null) return ApiErrors.NotFound(ErrorCodes.NotFound, "No such connection request.");
        var status = request.Status switch
        {
            "initiated" or "consuming" when request.ExpiresAt <= clock.GetUtcNow().UtcDateTime => "expired",
            "consuming" => "initiated",
            var s => s,
        };
        return TypedResults.Ok(new RequestStatus(request.Id, status, status == "connected" ? request.ConnectionId : null, request.Error));
    }

    public static async Task<Results<JsonHttpResult<Page<ConnectionRow>>, JsonHttpResult<ApiError>>> List(
        string appId, ClaimsPrincipal principal, ConnectionStore store, string? toolkit, string? status, string? userId, int? limit, int? offset, CancellationToken ct)
    {
        var (take, skip, problems) = Paging.Read(limit, offset);
        if (status is not (null or "active" or "expired" or "failed")) problems.Add(new("status", "status is active, expired or failed."));
        if (problems.Count > 0) return ApiErrors.Validation(problems);
        var caller = principal.Caller();
        if (!caller.IsApiKey && userId is not null && userId != caller.UserId)
            return ApiErrors.Result(403, ErrorCodes.Forbidden, "The userId filter needs the app's API key; a user sees only their own connections.");
        var (items, total) = await store.ListAsync(appId, new(caller.IsApiKey ? userId : caller.UserId, toolkit, status), take, skip, ct);
        return TypedResults.Json(new Page<ConnectionRow>(items.Select(ConnectionRow.From).ToList(), total, take, skip), ApiJson.Snake);
    }

    public static async Task<Results<JsonHttpResult<ConnectionRow>, JsonHttpResult<ApiError>>> Get(
        string appId, string id, ClaimsPrincipal principal, ConnectionStore store, CancellationToken ct)
    {
        var caller = principal.Caller();
        var connection = await store.FindAsync(appId, id, caller.IsApiKey ? null : caller.UserId, ct);
        return connection is null
            ? ApiErrors.NotFound(ErrorCodes.NotFound, "No such connection.")
            : TypedResults.Json(ConnectionRow.From(connection), ApiJson.Snake);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> Delete(
        string appId, string id, ClaimsPrincipal principal, HttpRequest http, ConnectionStore store, ConnectFlow flow, RevocationWorker revocations, CancellationToken ct)
    {
        var caller = principal.Caller();
        if (!await store.DeleteAsync(appId, id, caller.IsApiKey ? null : caller.UserId, flow.Origin(http), ct))
            return ApiErrors.NotFound(ErrorCodes.NotFound, "No such connection.");
        revocations.Wake();
        return TypedResults.NoContent();
    }

    public static async Task<IResult> Callback(string toolkit, HttpContext http, ConnectFlow flow, Catalog.ToolkitCatalog catalog, ConnectLinks links,
        Outbound.PublicOrigin origin, CancellationToken ct)
    {
        var query = http.Request.Query;
        // Codes and tokens must not leak through caches or the Referer of the next page (docs/security.md [8]).
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        using var span = PortalTelemetry.Source.StartActivity("connect callback");
        var outcome = await flow.CompleteOAuthAsync(toolkit, query["code"], query["state"], query["error"], query["iss"], flow.Origin(http.Request), ct,
            query.ToDictionary(p => p.Key, p => p.Value.ToString()));
        // The path's toolkit is the caller's text: counted under its name only when the catalog knows it.
        var slug = catalog.Find(toolkit) is not null ? toolkit : "unknown";
        PortalTelemetry.Connects.Add(1, new("toolkit", slug), new("outcome", outcome.Result));
        span?.SetTag("butterbase.toolkit", slug).SetTag("butterbase.outcome", outcome.Result);
        if (outcome.RedirectTo is not null)
        {
            // The portal's own done page (an agent's or a reconnect link) says what the provider said, sealed so no
            // crafted link can; an app's own redirect URL gets the stable code only, as before (docs/api.md).
            var redirect = outcome.RedirectTo;
            if (outcome.Result != "connected" && redirect.StartsWith(origin.Value + ConnectLinks.DonePath + "?", StringComparison.Ordinal)
                && query["error_description"].ToString() is { Length: > 0 } description)
                redirect = ConnectFlow.WithQuery(redirect, ("detail", links.SealDetail(description)));
            return Results.Redirect(redirect);
        }
        // No request to return to: the hosted pages' look, status 400, nothing of the request echoed (Pages/CallbackErrorDocument).
        return new Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<Pages.CallbackErrorDocument>(new { Message = outcome.ErrorPage! })
        {
            StatusCode = StatusCodes.Status400BadRequest,
            ContentType = "text/html; charset=utf-8",
        };
    }
}
