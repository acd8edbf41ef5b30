using System.Security.Cryptography;
using System.Text;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Apps;

/// <summary>
/// Issues and checks `bb_sk_` keys. A key is `bb_sk_` + 8 lookup characters + 40 secret characters
/// (≈ 238 random bits in all). Only SHA-256 of the whole key is stored, so a database dump holds no
/// usable key; the prefix (kept in clear) finds the row and the hash is compared in constant time.
/// A verified key is kept in memory for a short while (`Butterbase:Cache:ApiKeySeconds`, 30 s by default)
/// under the SHA-256 of the key, never the key: a revocation here takes effect on the next request, a
/// revocation by another instance on the same database within a second (<see cref="CacheInvalidation"/>; the TTL only
/// if that message is lost).
/// </summary>
public sealed class ApiKeys(IDbContextFactory<PortalDb> dbFactory, TimeProvider clock, IOptions<CacheOptions> cache, ILogger<ApiKeys> logger,
    CacheInvalidation? invalidation = null)
{
    public const string Scheme = "bb_sk_";
    private const int LookupLength = 8;
    private const int SecretLength = 40;
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);
    // A key's cache partition is its prefix (public: the portal shows it; known before the read from the key presented,
    // and at revocation from the row): revoking one key, or trying to revoke one that does not exist, makes no other key
    // stale. One partition for all keys let any tenant empty every tenant's cache, here and on every instance, per call.
    private readonly LocalCache<Verified> _verified = new(clock, TimeSpan.FromSeconds(cache.Value.ApiKeySeconds), invalidation, "api-key");

    private sealed class Verified(ApiKey key)
    {
        public ApiKey Key { get; } = key;
        public long LastUsedTicks = key.LastUsedAt?.Ticks ?? 0;
    }

    public async Task<(ApiKey Key, string Plaintext)> CreateAsync(string appId, string name, CancellationToken ct = default)
    {
        var plaintext = Scheme + Ids.Secret(LookupLength) + Ids.Secret(SecretLength);
        var key = new ApiKey
        {
            Id = Ids.New("key_"),
            AppId = appId,
            Name = name.Trim(),
            Prefix = plaintext[..(Scheme.Length + LookupLength)],
            Hash = Hash(plaintext),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return (key, plaintext);
    }

    public async Task<List<ApiKey>> ListAsync(string appId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ApiKeys.AsNoTracking().Where(k => k.AppId == appId)
            .OrderByDescending(k => k.CreatedAt).ToListAsync(ct);
    }

    public async Task<bool> RevokeAsync(string appId, string keyId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var prefix = await db.ApiKeys.Where(k => k.AppId == appId && k.Id == keyId).Select(k => k.Prefix).FirstOrDefaultAsync(ct);
        if (prefix is null) return false;
        var revoked = await db.ApiKeys.Where(k => k.AppId == appId && k.Id == keyId && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), ct) == 1;
        _verified.Invalidate(prefix);
        return revoked;
    }

    /// <summary>The live key row for a presented key, or null. Revocation takes effect on the next request.</summary>
    public async Task<ApiKey?> VerifyAsync(string presented, CancellationToken ct = default)
    {
        if (presented.Length != Scheme.Length + LookupLength + SecretLength || !presented.StartsWith(Scheme, StringComparison.Ordinal))
            return null;
        var hash = Hash(presented);
        // Looked up by the hash of the whole key, so the dictionary's timing tells nothing about the secret.
        var cacheKey = Convert.ToBase64String(hash);
        if (!_verified.TryGet(cacheKey, out var verified))
        {
            var prefix = presented[..(Scheme.Length + LookupLength)];
            var version = _verified.Version(prefix);
            ApiKey? key;
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
                key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Prefix == prefix, ct);
            if (key is null || !CryptographicOperations.FixedTimeEquals(key.Hash, hash) || key.RevokedAt is not null)
                return null; // refusals are not cached: a key created a moment later must work
            verified = new Verified(key);
            _verified.Set(cacheKey, prefix, version, verified);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var last = Interlocked.Read(ref verified.LastUsedTicks);
        // Coarse on purpose: one write a minute per key, not one per request, and not awaited by the request.
        if (now.Ticks - last > LastUsedResolution.Ticks && Interlocked.CompareExchange(ref verified.LastUsedTicks, now.Ticks, last) == last)
            _ = TouchAsync(verified.Key.Id, now);
        return verified.Key;
    }

    private async Task TouchAsync(string keyId, DateTime now)
    {
        try
        {
            await Task.Yield();
            await using var db = await dbFactory.CreateDbContextAsync();
            await db.ApiKeys.Where(k => k.Id == keyId).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning(e, "Recording the last use of API key {KeyId} failed", keyId);
        }
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
