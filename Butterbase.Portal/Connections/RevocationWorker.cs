using System.Text.Json;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Data;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>Revokes deleted connections' tokens at their providers, retrying with backoff; gives up after a day.</summary>
public sealed class RevocationWorker(
    IDbContextFactory<PortalDb> dbFactory, ToolkitCatalog catalog, ToolkitConfigs configs, OAuthProviders providers,
    OAuthClient oauth, CredentialProtector protector, TimeProvider clock, ILogger<RevocationWorker> logger) : BackgroundService
{
    private const int MaxAttempts = 12;
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Run the queue now (after a delete) instead of at the next tick.</summary>
    public void Wake() { if (_wake.CurrentCount == 0) _wake.Release(); }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await RunOnceAsync(stoppingToken); }
            catch (Exception e) when (e is not OperationCanceledException) { logger.LogError(e, "Revocation pass failed"); }
            try { await _wake.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }

    private readonly SemaphoreSlim _pass = new(1, 1);

    public async Task RunOnceAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var now = clock.GetUtcNow().UtcDateTime;
            var due = await db.RevocationJobs.AsNoTracking().Where(j => j.NextAttemptAt <= now).OrderBy(j => j.NextAttemptAt).Take(50).ToListAsync(ct);
            foreach (var job in due)
            {
                // Claim the job first, so another instance working the same queue skips it.
                var lease = now + TimeSpan.FromMinutes(5);
                if (await db.RevocationJobs.Where(j => j.Id == job.Id && j.NextAttemptAt == job.NextAttemptAt)
                        .ExecuteUpdateAsync(s => s.SetProperty(j => j.NextAttemptAt, lease), ct) != 1)
                    continue;
                var done = await TryRevokeAsync(job, ct);
                var attempts = job.Attempts + 1;
                if (done || attempts >= MaxAttempts)
                {
                    if (!done) logger.LogWarning("Giving up revoking a {Toolkit} token after {Attempts} attempts", job.ToolkitSlug, attempts);
                    await db.RevocationJobs.Where(j => j.Id == job.Id).ExecuteDeleteAsync(ct);
                }
                else
                {
                    var next = now + TimeSpan.FromSeconds(Math.Min(3600, 5 * Math.Pow(2, attempts)));
                    await db.RevocationJobs.Where(j => j.Id == job.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(j => j.Attempts, attempts).SetProperty(j => j.NextAttemptAt, next), ct);
                }
            }
        }
        finally { _pass.Release(); }
    }

    private async Task<bool> TryRevokeAsync(RevocationJob job, CancellationToken ct)
    {
        var toolkit = catalog.Find(job.ToolkitSlug);
        if (toolkit is null) return true;
        var config = await configs.FindAsync(job.AppId, job.ToolkitSlug, ct);
        var (provider, _) = providers.Resolve(toolkit, config, job.Origin); // host-relative URLs resolve against the public origin
        if (provider is null) return true;
        var credentials = JsonSerializer.Deserialize<StoredCredentials>(protector.For("revocation", job.AppId).Unprotect(job.Credentials))!;
        return await oauth.RevokeAsync(provider, credentials, ct);
    }
}
