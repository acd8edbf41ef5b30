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
        }
    }

    public static async Task<Results<Ok<ExecuteResult>, JsonHttpResult<ApiError>>> Execute(
        string appId, ExecuteRequest body, ClaimsPrincipal principal, HttpRequest http, ToolRunner runner, ConnectFlow flow,
        IdempotencyStore idempotency, CancellationToken ct)
    {
        var caller = principal.Caller();
        string userId;
        if (caller.IsApiKey)
        {
            if (body.UserId is not { Length: > 0 } named) return ApiErrors.Validation([new("userId", "With an API key, say which end user to act for: \"userId\" (what asUser(userId) sends).")]);
            userId = named;
        }
        else
        {
            if (body.UserId is not null && body.UserId != caller.UserId) return ApiErrors.Result(403, "forbidden", "A user token runs tools as its own user only.");
            userId = caller.UserId!;
        }

        var key = http.Headers["Idempotency-Key"].ToString();
        if (key.Length > 255) return ApiErrors.Validation([new("Idempotency-Key", "At most 255 characters.")]);
        if (key.Length > 0 && await idempotency.FindAsync(appId, userId, body.ToolName!, key, ct) is { } earlier)
            return TypedResults.Ok(earlier);

        var (result, error, status) = await runner.ExecuteAsync(new ToolRunner.Call(appId, userId, body.ToolName!, body.Params, body.ConnectionId, flow.Origin(http)), ct);
        if (error is not null) return ApiErrors.Result(status, error.Error, error.Message, error.Details);
        if (key.Length > 0) await idempotency.SaveAsync(appId, userId, body.ToolName!, key, result!, ct);
        return TypedResults.Ok(result!);
    }
}

public sealed class IdempotencyRecord
{
    public long Id { get; init; }
    public required string AppId { get; init; }
    public required string UserId { get; init; }
    public required string ToolName { get; init; }
    /// <summary>SHA-256 of the caller's key.</summary>
    public required string KeyHash { get; init; }
    public required string Result { get; init; }
    public DateTime CreatedAt { get; init; }

    internal static void Configure(Microsoft.EntityFrameworkCore.ModelBuilder model) => model.Entity<IdempotencyRecord>(e =>
    {
        e.HasKey(x => x.Id);
        e.HasIndex(x => new { x.AppId, x.UserId, x.ToolName, x.KeyHash }).IsUnique();
        e.HasIndex(x => x.CreatedAt);
    });
}

/// <summary>Results kept for 24 hours per (app, user, tool, Idempotency-Key): a repeat gets the first answer, and the provider is not called again.</summary>
public sealed class IdempotencyStore(IDbContextFactory<PortalDb> dbFactory, TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    public async Task<ExecuteResult?> FindAsync(string appId, string userId, string tool, string key, CancellationToken ct)
    {
        var hash = OAuthClient.Hash(key);
        var since = clock.GetUtcNow().UtcDateTime - Window;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Set<IdempotencyRecord>().AsNoTracking()
            .FirstOrDefaultAsync(r => r.AppId == appId && r.UserId == userId && r.ToolName == tool && r.KeyHash == hash && r.CreatedAt > since, ct);
        return row is null ? null : JsonSerializer.Deserialize<ExecuteResult>(row.Result, JsonSerializerOptions.Web);
    }

    public async Task SaveAsync(string appId, string userId, string tool, string key, ExecuteResult result, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var hash = OAuthClient.Hash(key);
        await db.Set<IdempotencyRecord>().Where(r => r.CreatedAt < now - Window || (r.AppId == appId && r.UserId == userId && r.ToolName == tool && r.KeyHash == hash))
            .ExecuteDeleteAsync(ct);
        db.Add(new IdempotencyRecord { AppId = appId, UserId = userId, ToolName = tool, KeyHash = hash, Result = JsonSerializer.Serialize(result, JsonSerializerOptions.Web), CreatedAt = now });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { } // a concurrent repeat saved first: the first answer stands
    }
}
