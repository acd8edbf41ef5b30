using System.Text.Json;
using System.Text.Json.Serialization;
using Butterbase.Portal.Api;
using Butterbase.Portal.Data;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Butterbase.Portal.Sandbox;

/// <summary>
/// The Sandbox's tiny provider API under `/sandbox/api`, called by the portal's tools with the sandbox access token.
/// Behaves like a real provider: bearer tokens checked by OpenIddict validation (expiry, revocation), scopes enforced,
/// `{ "error", "message" }` bodies, RFC 6750 `WWW-Authenticate` challenges.
/// </summary>
public static class SandboxApi
{
    public const int MaxEmailLength = 254;
    public const int MaxToLength = 200;
    public const int MaxTextLength = 4000;
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    internal static void MapSandboxApi(this WebApplication app)
    {
        var api = app.MapGroup("/sandbox/api").WithTags("Sandbox").ExcludeFromDescription();
        api.MapGet("/me", Me).AddEndpointFilter(new SandboxBearer(null));
        api.MapGet("/messages", ListMessagesAsync).AddEndpointFilter(new SandboxBearer(SandboxScopes.MessagesRead));
        api.MapPost("/messages", SendMessageAsync).AddEndpointFilter(new SandboxBearer(SandboxScopes.MessagesWrite));
    }

    // Handlers read HttpContext.User: SandboxBearer sets it after the arguments are bound.

    /// <summary>The connected account; also the provider's userinfo endpoint.</summary>
    public static Ok<SandboxProfile> Me(HttpContext http)
    {
        var user = http.User;
        var sub = user.GetClaim(Claims.Subject)!;
        return TypedResults.Ok(new SandboxProfile(sub, user.GetClaim(Claims.Email) ?? sub, user.GetClaim(Claims.Name) ?? SandboxConsent.DisplayName(sub)));
    }

    public static async Task<Results<Ok<SandboxMessageList>, JsonHttpResult<ApiError>>> ListMessagesAsync(
        HttpContext http, SandboxDb db, CancellationToken ct)
    {
        var limit = DefaultLimit;
        if (http.Request.Query.TryGetValue("limit", out var raw) && !(int.TryParse(raw, out limit) && limit is >= 1 and <= MaxLimit))
            return ApiErrors.Validation([new ApiErrorDetail("limit", $"Must be a whole number from 1 to {MaxLimit}.")]);
        var account = http.User.GetClaim(Claims.Subject)!;
        var messages = await db.Messages.AsNoTracking()
            .Where(m => m.Account == account)
            .OrderByDescending(m => m.CreatedAt)
            .Take(limit)
            .Select(m => new SandboxMessageView(m.Id, m.To, m.Text, m.CreatedAt))
            .ToListAsync(ct);
        return TypedResults.Ok(new SandboxMessageList(messages));
    }

    public static async Task<Results<Created<SandboxMessageView>, JsonHttpResult<ApiError>>> SendMessageAsync(
        HttpContext http, SandboxDb db, IValidator<SendSandboxMessage> validator, TimeProvider clock, CancellationToken ct)
    {
        // Read by hand rather than bound: the host turns binding failures into its HTML error page outside /v1.
        SendSandboxMessage? body;
        try { body = http.Request.HasJsonContentType() ? await http.Request.ReadFromJsonAsync<SendSandboxMessage>(ct) : null; }
        catch (JsonException) { body = null; }
        if (body is null)
            return ApiErrors.Result(StatusCodes.Status400BadRequest, "invalid_json", "Send a JSON object { \"to\": \"…\", \"text\": \"…\" } as application/json.");
        var validation = await validator.ValidateAsync(body, ct);
        if (!validation.IsValid)
            return ApiErrors.Validation(ValidationFilter<SendSandboxMessage>.Details(validation));

        var message = new SandboxMessage
        {
            Id = Ids.New("msg_"),
            Account = http.User.GetClaim(Claims.Subject)!,
            To = body.To!.Trim(),
            Text = body.Text!,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Messages.Add(message);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created((string?)null, new SandboxMessageView(message.Id, message.To, message.Text, message.CreatedAt));
    }
}

public sealed record SendSandboxMessage(string? To, string? Text);

public sealed class SendSandboxMessageValidator : AbstractValidator<SendSandboxMessage>
{
    public SendSandboxMessageValidator()
    {
        RuleFor(x => x.To).NotEmpty().MaximumLength(SandboxApi.MaxToLength).OverridePropertyName("to");
        RuleFor(x => x.Text).NotEmpty().MaximumLength(SandboxApi.MaxTextLength).OverridePropertyName("text");
    }
}

public sealed record SandboxProfile(string Sub, string Email, string Name);

public sealed record SandboxMessageView(string Id, string To, string Text, [property: JsonPropertyName("created_at")] DateTime CreatedAt);

public sealed record SandboxMessageList(IReadOnlyList<SandboxMessageView> Messages);

/// <summary>
/// Bearer authentication for the Sandbox API: a valid, unexpired, unrevoked sandbox access token (401 otherwise) that
/// carries <paramref name="scope"/> when one is required (403 `insufficient_scope` otherwise), per RFC 6750 §3.
/// </summary>
internal sealed class SandboxBearer(string? scope) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (string.IsNullOrEmpty(http.Request.Headers.Authorization))
        {
            // No credential at all: a challenge without an error code (RFC 6750 §3.1).
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"sandbox\"";
            return ApiErrors.Result(StatusCodes.Status401Unauthorized, "unauthorized", "Send a sandbox access token as 'Authorization: Bearer <token>'.");
        }
        var result = await http.AuthenticateAsync(SandboxSetup.ValidationScheme);
        if (!result.Succeeded || result.Principal.GetClaim(Claims.Subject) is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"sandbox\", error=\"invalid_token\", error_description=\"The access token is invalid, expired or revoked.\"";
            return ApiErrors.Result(StatusCodes.Status401Unauthorized, "invalid_token", "The access token is invalid, expired or revoked.");
        }
        if (scope is not null && !result.Principal.HasScope(scope))
        {
            http.Response.Headers.WWWAuthenticate = $"Bearer realm=\"sandbox\", error=\"insufficient_scope\", scope=\"{scope}\"";
            return ApiErrors.Result(StatusCodes.Status403Forbidden, "insufficient_scope", $"The access token lacks the '{scope}' scope.");
        }
        http.User = result.Principal;
        return await next(context);
    }
}
