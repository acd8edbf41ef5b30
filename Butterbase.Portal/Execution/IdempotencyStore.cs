using System.Security.Claims;
using System.Text.Json;
using Butterbase.Portal.Api;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Execution;

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
