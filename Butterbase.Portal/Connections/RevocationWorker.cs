using System.Text.Json;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Data;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>
/// Revokes deleted connections' tokens at their providers, retrying with backoff; gives up after 12 attempts (about a
/// day). The queue is the `RevocationJobs` table (each row claimed before it is worked, so instances never send one
/// twice); the passes are a recurring Quartz job (<see cref="Pass"/>, every 30 s on one instance at a time, and at once
/// after a delete), not a loop of this class's own. docs/architecture.md, "Jobs (Quartz.NET)".
/// </summary>
public sealed class RevocationWorker(
    IDbContextFactory<PortalDb> dbFactory, ToolkitCatalog catalog, ToolkitConfigs configs, OAuthProviders providers,
    OAuthClient oauth, CredentialProtector protector, TimeProvider clock, Scheduling.RecurringJobs jobs, ILogger<RevocationWorker> logger)
{
    public const string JobName = "connection-revocations";
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(30);
    private const int MaxAttempts = 12;

    /// <summary>Run the queue now (after a delete) instead of at the next pass.</summary>
    public void Wake() => jobs.RunSoon(JobName);

    /// <summary>The Quartz job: one pass over the due revocations.</summary>
    [Quartz.DisallowConcurrentExecution]
    public sealed class Pass(RevocationWorker worker) : Quartz.IJob
    {
        public async ValueTask Execute(Quartz.IJobExecutionContext context, CancellationToken cancellationToken = default) =>
            await worker.RunOnceAsync(cancellationToken);
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
        var credentials = JsonSerializer.Deserialize<StoredCredentials>(protector.For("revocation", job.AppId).Unprotect(job.Credentials))!;
        // host-relative URLs resolve against the public origin; the connection's fields fill Zendesk's `{subdomain}`
        var (provider, _) = providers.Resolve(toolkit, config, job.Origin, credentials.Fields);
        if (provider is null) return true;
        return await oauth.RevokeAsync(provider, credentials, ct);
    }
}
