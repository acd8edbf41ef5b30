using System.Security.Claims;
using System.Text.Json;
using Butterbase.Portal.Api;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Execution;

/// <summary>`POST /execute` (JWT as the caller, or API key with `userId`), with `Idempotency-Key`.</summary>
public static class ExecuteApi
{
    public static RouteGroupBuilder MapExecuteApi(this RouteGroupBuilder integrations)
    {
        integrations.MapPost("/execute", Execute).Validate<ExecuteRequest>();
        return integrations;
    }

    public sealed record ExecuteRequest(string? ToolName, JsonElement? Params, string? ConnectionId, string? UserId);

    public sealed class ExecuteRequestValidator : AbstractValidator<ExecuteRequest>
    {
        public ExecuteRequestValidator()
        {
            RuleFor(x => x.ToolName).NotEmpty().WithMessage("Name the tool, e.g. \"GMAIL_SEND_EMAIL\".").MaximumLength(64).OverridePropertyName("toolName");
            RuleFor(x => x.UserId).MaximumLength(256).OverridePropertyName("userId");
            RuleFor(x => x.ConnectionId).MaximumLength(Connections.ConnectionPicker.MaxConnectionIdLength).OverridePropertyName("connectionId");
        }
    }

    public static async Task<Results<Ok<ExecuteResult>, JsonHttpResult<ApiError>>> Execute(
        string appId, ExecuteRequest body, ClaimsPrincipal principal, HttpRequest http, ToolRunner runner, ConnectFlow flow,
        IdempotencyStore idempotency, CancellationToken ct)
    {
        var (endUser, problem) = principal.Caller().EndUser(body.UserId);
        if (problem is { } p) return ApiErrors.ForEndUser(p);
        var userId = endUser!;

        var key = http.Headers["Idempotency-Key"].ToString();
        if (key.Length > 255) return ApiErrors.Validation([new("Idempotency-Key", "At most 255 characters.")]);
        if (key.Length > 0)
        {
            // Reserve the key before calling anyone: of concurrent first requests with one key, one runs the tool;
            // the others get its result, or 409 while it is still running.
            var (earlier, reserved) = await idempotency.ReserveAsync(appId, userId, body.ToolName!, key, ct);
            if (earlier is not null) return TypedResults.Ok(earlier);
            if (!reserved) return ApiErrors.Result(409, ErrorCodes.IdempotencyInProgress, "A request with this Idempotency-Key is still running; retry in a moment to get its result.");
        }

        ExecuteResult? result;
        ApiError? error;
        int status;
        try { (result, error, status) = await runner.ExecuteAsync(new ToolRunner.Call(appId, userId, body.ToolName!, body.Params, body.ConnectionId, flow.Origin(http)), ct); }
        catch when (key.Length > 0)
        {
            await idempotency.ReleaseAsync(appId, userId, body.ToolName!, key, CancellationToken.None);
            throw;
        }
        if (error is not null)
        {
            // Refused before the provider was called (validation, no connection…): the key stays free for a corrected retry.
            if (key.Length > 0) await idempotency.ReleaseAsync(appId, userId, body.ToolName!, key, CancellationToken.None);
            return TypedResults.Json(error, statusCode: status); // whole: insufficient_scope carries reconnect_url
        }
        if (key.Length > 0) await idempotency.SaveAsync(appId, userId, body.ToolName!, key, result!, CancellationToken.None);
        return TypedResults.Ok(result!);
    }
}
