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

public sealed class IdempotencyRecord
{
    public long Id { get; init; }
    public required string AppId { get; init; }
    public required string UserId { get; init; }
    public required string ToolName { get; init; }
    /// <summary>SHA-256 of the caller's key.</summary>
    public required string KeyHash { get; init; }
    /// <summary>The first answer; null while the request that reserved the key is still running.</summary>
    public string? Result { get; set; }
    public DateTime CreatedAt { get; init; }

    internal static void Configure(Microsoft.EntityFrameworkCore.ModelBuilder model) => model.Entity<IdempotencyRecord>(e =>
    {
        e.HasKey(x => x.Id);
        e.HasIndex(x => new { x.AppId, x.UserId, x.ToolName, x.KeyHash }).IsUnique();
        e.HasIndex(x => x.CreatedAt);
    });
}

/// <summary>
/// Results kept for 24 hours per (app, user, tool, Idempotency-Key): a repeat gets the first answer, and the provider
/// is not called again. The key is reserved (a row with no result, unique in the database, so across instances too)
/// before the tool runs; a reservation whose request died is taken over after <see cref="Abandoned"/>.
/// </summary>
public sealed class IdempotencyStore(IDbContextFactory<PortalDb> dbFactory, TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);
    public static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(5);

    /// <summary>The earlier answer for this key, or whether this request now holds the key (false: another one is running).</summary>
    public async Task<(ExecuteResult? Earlier, bool Reserved)> ReserveAsync(string appId, string userId, string tool, string key, CancellationToken ct)
    {
        var hash = OAuthClient.Hash(key);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var row = await db.Set<IdempotencyRecord>().AsNoTracking()
                .FirstOrDefaultAsync(r => r.AppId == appId && r.UserId == userId && r.ToolName == tool && r.KeyHash == hash, ct);
            if (row is not null && row.CreatedAt > now - Window)
            {
                if (row.Result is not null) return (JsonSerializer.Deserialize<ExecuteResult>(row.Result, JsonSerializerOptions.Web), false);
                if (row.CreatedAt > now - Abandoned) return (null, false);
            }
            // Expired, abandoned or absent: clear it and take the key (the unique index lets one request win).
            if (row is not null) await db.Set<IdempotencyRecord>().Where(r => r.Id == row.Id).ExecuteDeleteAsync(ct);
            db.ChangeTracker.Clear();
            db.Add(new IdempotencyRecord { AppId = appId, UserId = userId, ToolName = tool, KeyHash = hash, CreatedAt = now });
            try
            {
                await db.SaveChangesAsync(ct);
                return (null, true);
            }
            catch (DbUpdateException) { db.ChangeTracker.Clear(); } // another request took it first: read what it holds
        }
        return (null, false);
    }

    /// <summary>The request that reserved the key was refused before any provider call: free the key.</summary>
    public async Task ReleaseAsync(string appId, string userId, string tool, string key, CancellationToken ct)
    {
        var hash = OAuthClient.Hash(key);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Set<IdempotencyRecord>().Where(r => r.AppId == appId && r.UserId == userId && r.ToolName == tool && r.KeyHash == hash && r.Result == null)
            .ExecuteDeleteAsync(ct);
    }

    /// <summary>Completes the reservation with the first answer. Expired keys are pruned by the execution log's writer, not here.</summary>
    public async Task SaveAsync(string appId, string userId, string tool, string key, ExecuteResult result, CancellationToken ct)
    {
        var hash = OAuthClient.Hash(key);
        var json = JsonSerializer.Serialize(result, JsonSerializerOptions.Web);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Set<IdempotencyRecord>().Where(r => r.AppId == appId && r.UserId == userId && r.ToolName == tool && r.KeyHash == hash && r.Result == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Result, json), ct);
    }
}
