using FluentValidation;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Toolkits;

/// <summary>Enabling, changing and disabling toolkits for an app (the `/configure` resource).</summary>
public sealed class ToolkitConfigs(IDbContextFactory<PortalDb> dbFactory, IDataProtectionProvider dataProtection, TimeProvider clock, IOptions<CacheOptions> cache,
    CacheInvalidation? invalidation = null)
{
    private const string SecretPurpose = "Butterbase.Toolkits.ClientSecret.v1";
    private readonly LocalCache<ToolkitState> _states = new(clock, TimeSpan.FromSeconds(cache.Value.ToolkitConfigSeconds), invalidation, "toolkit");

    /// <summary>What `/execute` needs to know about an app's toolkit.</summary>
    public enum ToolkitState { NotConfigured, Disabled, Enabled }

    /// <summary>Null fields keep what is stored; <paramref name="UseManagedClient"/> drops the app's own OAuth client.</summary>
    public sealed record Change(Toolkit Toolkit, string? DisplayName, IReadOnlyList<string>? Scopes, string? AuthScheme, string? ClientId, string? ClientSecret,
        bool UseManagedClient = false, IReadOnlyDictionary<string, string>? AuthorizeParams = null);

    /// <summary>Idempotent upsert: configuring again updates the row and re-enables it.</summary>
    public async Task<ToolkitConfig> ConfigureAsync(string appId, Change change, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var row = await db.ToolkitConfigs.FirstOrDefaultAsync(c => c.AppId == appId && c.ToolkitSlug == change.Toolkit.Slug, ct);
        if (row is null)
        {
            row = new ToolkitConfig { Id = Guid.NewGuid(), AppId = appId, ToolkitSlug = change.Toolkit.Slug, CreatedAt = now };
            db.ToolkitConfigs.Add(row);
        }
        row.Enabled = true;
        row.DisplayName = string.IsNullOrWhiteSpace(change.DisplayName) ? (row.DisplayName is "" ? change.Toolkit.Name : row.DisplayName) : change.DisplayName.Trim();
        row.Scopes = change.Scopes?.Select(s => s.Trim()).Where(s => s.Length > 0).Distinct().ToList() ?? row.Scopes;
        row.AuthScheme = change.AuthScheme ?? (row.AuthScheme is "" ? change.Toolkit.DefaultAuth.Type : row.AuthScheme);
        if (change.AuthorizeParams is not null)
            row.AuthorizeParams = change.AuthorizeParams.Count == 0 ? null : change.AuthorizeParams.ToDictionary(p => p.Key.Trim(), p => p.Value.Trim());
        if (change.UseManagedClient)
        {
            row.ClientId = null;
            row.ClientSecret = null;
        }
        else
        {
            if (change.ClientId is not null) row.ClientId = change.ClientId.Trim();
            if (change.ClientSecret is not null) row.ClientSecret = Protector(appId, row.ToolkitSlug).Protect(change.ClientSecret);
        }
        row.UpdatedAt = now;
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) when (row.CreatedAt == now)
        {
            // Two first-time configures raced on the unique (app, toolkit) index: the other one won; apply ours over it.
            return await ConfigureAsync(appId, change, ct);
        }
        finally { _states.Invalidate(StateKey(appId, change.Toolkit.Slug)); }
        return row;
    }

    public async Task<ToolkitConfig?> DisableAsync(string appId, string slug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.ToolkitConfigs.FirstOrDefaultAsync(c => c.AppId == appId && c.ToolkitSlug == slug, ct);
        if (row is null) return null;
        row.Enabled = false;
        row.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        try { await db.SaveChangesAsync(ct); }
        finally { _states.Invalidate(StateKey(appId, slug)); }
        return row;
    }

    public async Task<List<ToolkitConfig>> ListAsync(string appId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ToolkitConfigs.AsNoTracking().Where(c => c.AppId == appId).OrderBy(c => c.ToolkitSlug).ToListAsync(ct);
    }

    /// <summary>One app's configuration of one toolkit, or null when it was never configured.</summary>
    public async Task<ToolkitConfig?> FindAsync(string appId, string slug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ToolkitConfigs.AsNoTracking().FirstOrDefaultAsync(c => c.AppId == appId && c.ToolkitSlug == slug, ct);
    }

    /// <summary>
    /// Whether the app has the toolkit enabled, for the execute hot path: kept in memory for
    /// `Butterbase:Cache:ToolkitConfigSeconds` (30 s by default). Configure and disable here make it stale
    /// at once; another instance's change within a second (<see cref="CacheInvalidation"/>), the TTL being the fallback.
    /// </summary>
    public async Task<ToolkitState> StateAsync(string appId, string slug, CancellationToken ct = default)
    {
        var key = StateKey(appId, slug);
        if (_states.TryGet(key, out var state)) return state;
        var version = _states.Version(key);
        var row = await FindAsync(appId, slug, ct);
        state = row is null ? ToolkitState.NotConfigured : row.Enabled ? ToolkitState.Enabled : ToolkitState.Disabled;
        _states.Set(key, key, version, state);
        return state;
    }

    private static string StateKey(string appId, string slug) => appId + "\n" + slug;

    public async Task<HashSet<string>> EnabledSlugsAsync(string appId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return (await db.ToolkitConfigs.AsNoTracking().Where(c => c.AppId == appId && c.Enabled).Select(c => c.ToolkitSlug).ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The app's own client secret, for the OAuth engine; never for a response.</summary>
    public string? ClientSecretOf(ToolkitConfig row) =>
        row.ClientSecret is null ? null : Protector(row.AppId, row.ToolkitSlug).Unprotect(row.ClientSecret);

    private IDataProtector Protector(string appId, string slug) => dataProtection.CreateProtector(SecretPurpose, appId, slug);

    /// <summary>
    /// Moves what apps stored under a slug the catalog now merges into another toolkit (`github-2` → `github`, the
    /// `hubspot-*` → `hubspot`: docs/architecture.md "Catalog") to that toolkit, so an app keeps its
    /// enabled toolkit, its own OAuth client and its users' connections. Run at start, after the migrations; idempotent,
    /// so every instance may run it. When the app had configured both, its configuration of the absorbing toolkit stays
    /// and the old one goes (its users' connections move either way). The client secret is bound to app and slug, so it
    /// is decrypted under the old slug and encrypted again under the new one. Answers the rows moved.
    /// </summary>
    public async Task<int> MoveMergedSlugsAsync(IReadOnlyDictionary<string, string> merged, CancellationToken ct = default)
    {
        if (merged.Count == 0) return 0;
        var old = merged.Keys.ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var moved = 0;
        var stale = await db.ToolkitConfigs.Where(c => old.Contains(c.ToolkitSlug)).ToListAsync(ct);
        foreach (var row in stale)
        {
            var target = merged[row.ToolkitSlug];
            if (!await db.ToolkitConfigs.AnyAsync(c => c.AppId == row.AppId && c.ToolkitSlug == target, ct))
                db.ToolkitConfigs.Add(new ToolkitConfig
                {
                    Id = Guid.NewGuid(), AppId = row.AppId, ToolkitSlug = target, Enabled = row.Enabled, DisplayName = row.DisplayName,
                    Scopes = row.Scopes, AuthScheme = row.AuthScheme, ClientId = row.ClientId, AuthorizeParams = row.AuthorizeParams,
                    ClientSecret = row.ClientSecret is null ? null : Protector(row.AppId, target).Protect(Protector(row.AppId, row.ToolkitSlug).Unprotect(row.ClientSecret)),
                    CreatedAt = row.CreatedAt, UpdatedAt = clock.GetUtcNow().UtcDateTime,
                });
            db.ToolkitConfigs.Remove(row);
            moved++;
        }
        await db.SaveChangesAsync(ct);
        // One read on every start; an UPDATE only for a merged slug that still has connections (usually none).
        var present = await db.Connections.Where(c => old.Contains(c.ToolkitSlug)).Select(c => c.ToolkitSlug).Distinct().ToListAsync(ct);
        foreach (var from in present)
        {
            var to = merged[from];
            moved += await db.Connections.Where(c => c.ToolkitSlug == from).ExecuteUpdateAsync(s => s.SetProperty(c => c.ToolkitSlug, to), ct);
        }
        return moved;
    }
}

/// <summary>The portal's toolkit settings form; the secret is write-only (empty = keep the stored one).</summary>
public sealed class ToolkitConfigForm
{
    public string DisplayName { get; set; } = "";
    public string AuthScheme { get; set; } = "";
    public IReadOnlyCollection<string> Scopes { get; set; } = [];
    public bool UseCustomClient { get; set; }
    public string ClientId { get; set; } = "";
    public string ClientSecret { get; set; } = "";
    public bool HasStoredSecret { get; set; }
}

public sealed class ToolkitConfigFormValidator : AbstractValidator<ToolkitConfigForm>
{
    public ToolkitConfigFormValidator()
    {
        RuleFor(x => x.DisplayName).MaximumLength(100).WithMessage("At most 100 characters.");
        RuleFor(x => x.ClientId).NotEmpty().When(x => x.UseCustomClient).WithMessage("Enter your OAuth app's client id.")
            .MaximumLength(500);
        RuleFor(x => x.ClientSecret).NotEmpty().When(x => x.UseCustomClient && !x.HasStoredSecret).WithMessage("Enter your OAuth app's client secret.")
            .MaximumLength(2000);
    }
}
