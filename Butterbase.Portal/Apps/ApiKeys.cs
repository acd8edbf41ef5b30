using System.Security.Cryptography;
using System.Text;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Apps;

/// <summary>
/// Issues and checks `bb_sk_` keys. A key is `bb_sk_` + 8 lookup characters + 40 secret characters
/// (≈ 238 random bits in all). Only SHA-256 of the whole key is stored, so a database dump holds no
/// usable key; the prefix (kept in clear) finds the row and the hash is compared in constant time.
/// </summary>
public sealed class ApiKeys(IDbContextFactory<PortalDb> dbFactory, TimeProvider clock)
{
    public const string Scheme = "bb_sk_";
    private const int LookupLength = 8;
    private const int SecretLength = 40;
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

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
        return await db.ApiKeys.Where(k => k.AppId == appId && k.Id == keyId && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), ct) == 1;
    }

    /// <summary>The live key row for a presented key, or null. Revocation takes effect on the next request.</summary>
    public async Task<ApiKey?> VerifyAsync(string presented, CancellationToken ct = default)
    {
        if (presented.Length != Scheme.Length + LookupLength + SecretLength || !presented.StartsWith(Scheme, StringComparison.Ordinal))
            return null;
        var prefix = presented[..(Scheme.Length + LookupLength)];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Prefix == prefix, ct);
        if (key is null || !CryptographicOperations.FixedTimeEquals(key.Hash, Hash(presented)) || key.RevokedAt is not null)
            return null;

        var now = clock.GetUtcNow().UtcDateTime;
        if (key.LastUsedAt is null || now - key.LastUsedAt > LastUsedResolution)
        {
            // Coarse on purpose: one write a minute per key, not one per request.
            await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), ct);
        }
        return key;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
