using System.Security.Cryptography;
using Butterbase.Portal.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Apps;

/// <summary>Creating apps, finding them for their members, and changing their settings.</summary>
public sealed class AppRegistry(IDbContextFactory<PortalDb> dbFactory, IDataProtectionProvider dataProtection, TimeProvider clock)
{
    public async Task<App> CreateAsync(string name, string? ownerDeveloperId, IEnumerable<string>? allowedRedirectUrls = null, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var id = Ids.New("app_");
        var app = new App
        {
            Id = id,
            Name = name.Trim(),
            AllowedRedirectUrls = allowedRedirectUrls?.ToList() ?? [],
            UserTokenKey = UserTokens.ProtectKey(dataProtection, id, RandomNumberGenerator.GetBytes(32)),
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (ownerDeveloperId is not null)
            app.Members.Add(new AppMember { AppId = id, DeveloperId = ownerDeveloperId, CreatedAt = now });

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Apps.Add(app);
        await db.SaveChangesAsync(ct);
        return app;
    }

    public async Task<List<App>> ListForDeveloperAsync(string developerId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Apps.AsNoTracking()
            .Where(a => a.Members.Any(m => m.DeveloperId == developerId))
            .OrderBy(a => a.Name).ThenBy(a => a.Id)
            .ToListAsync(ct);
    }

    /// <summary>The app if the developer is one of its members; otherwise null, exactly as if it did not exist.</summary>
    public async Task<App?> FindForMemberAsync(string appId, string developerId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Apps.AsNoTracking()
            .FirstOrDefaultAsync(a => a.Id == appId && a.Members.Any(m => m.DeveloperId == developerId), ct);
    }

    public async Task<App?> FindAsync(string appId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct);
    }

    /// <summary>Writes validated settings. Callers validate with <see cref="AppSettingsValidator"/> first.</summary>
    public async Task<App?> SaveSettingsAsync(string appId, AppSettings settings, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var app = await db.Apps.FirstOrDefaultAsync(a => a.Id == appId, ct);
        if (app is null) return null;
        app.Name = settings.Name.Trim();
        app.AllowedRedirectUrls = settings.AllowedRedirectUrls.Select(u => u.Trim()).Distinct(StringComparer.Ordinal).ToList();
        app.JwtIssuer = settings.Jwt?.Issuer.Trim();
        app.JwtJwksUrl = settings.Jwt?.JwksUrl.Trim();
        app.JwtAudience = settings.Jwt?.Audience.Trim();
        app.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return app;
    }
}
