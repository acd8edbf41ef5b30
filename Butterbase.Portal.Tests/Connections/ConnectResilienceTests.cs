using System.Data.Common;
using System.Net;
using System.Security.Cryptography;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>docs/security.md [1] (expiry), [15] (revocation retried), [24] (bound blobs), [25] (key roll), [28] (crash mid-callback).</summary>
public sealed class ConnectResilienceTests : IAsyncLifetime
{
    private const string Slug = "asana";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly FailingConnectionInsert _crash = new();
    private FakeOAuthProvider _fake = default!;
    private PortalApplication _portal = default!;
    private TestApp _app = default!;
    private string Base => $"v1/{_app.Id}/integrations";

    /// <summary>Throws on the INSERT of a connection while armed: a crash between the code exchange and the commit.</summary>
    private sealed class FailingConnectionInsert : DbCommandInterceptor
    {
        public volatile bool Armed;
        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken ct = default) =>
            Armed && command.CommandText.Contains("INSERT INTO \"ConnectionEvents\"", StringComparison.Ordinal)
                ? throw new InvalidOperationException("simulated crash")
                : base.NonQueryExecutingAsync(command, eventData, result, ct);
        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken ct = default) =>
            Armed && command.CommandText.Contains("INSERT INTO \"ConnectionEvents\"", StringComparison.Ordinal)
                ? throw new InvalidOperationException("simulated crash")
                : base.ReaderExecutingAsync(command, eventData, result, ct);
    }

    public async Task InitializeAsync()
    {
        _fake = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic);
        _portal = new PortalApplication().WithServices(s =>
        {
            s.AddSingleton<TimeProvider>(_clock);
            s.ConfigureDbContext<PortalDb>(o => o.AddInterceptors(_crash));
            s.ConfigureDbContext<PostgresPortalDb>(o => o.AddInterceptors(_crash)); // the context type when the tests run on PostgreSQL
        });
        foreach (var (key, value) in _fake.SettingsFor(Slug)) _portal.With(key, value);
        _app = await _portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = Slug })));
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _fake.DisposeAsync();
    }

    private async Task<Uri> AuthorizedCallbackAsync(string user)
    {
        using var admin = _portal.Http(_app.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = Slug, redirectUrl = "https://app.example.com/back", userId = user })));
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        return (await browser.GetAsync(started.GetProperty("authUrl").GetString())).Headers.Location!;
    }

    private static async Task<HttpResponseMessage> GetAsync(Uri uri)
    {
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        return await browser.GetAsync(uri);
    }

    private async Task<T> DbAsync<T>(Func<PortalDb, Task<T>> query)
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<PortalDb>());
    }

    [Fact]
    public async Task State_expires_after_ten_minutes_and_then_stores_nothing()
    {
        var inTime = await AuthorizedCallbackAsync("punctual");
        _clock.Advance(TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(59));
        Assert.Equal(HttpStatusCode.Redirect, (await GetAsync(inTime)).StatusCode);

        var late = await AuthorizedCallbackAsync("late");
        _clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var tokenCalls = _fake.TokenRequests.Count;
        var response = await GetAsync(late);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(tokenCalls, _fake.TokenRequests.Count);
        Assert.Equal(0, await DbAsync(db => db.Connections.CountAsync(c => c.UserId == "late")));
    }

    [Fact]
    public async Task A_crash_between_exchange_and_commit_leaves_no_connection_and_a_retry_cannot_reuse_the_state()
    {
        var callback = await AuthorizedCallbackAsync("crashy");
        _crash.Armed = true;
        try { Assert.Equal(HttpStatusCode.InternalServerError, (await GetAsync(callback)).StatusCode); }
        finally { _crash.Armed = false; }
        Assert.Equal(0, await DbAsync(db => db.Connections.CountAsync(c => c.UserId == "crashy")));
        Assert.Equal(0, await DbAsync(db => db.ConnectionRequests.CountAsync(r => r.UserId == "crashy" && r.Status == "connected")));
        Assert.Equal(HttpStatusCode.BadRequest, (await GetAsync(callback)).StatusCode);

        // The user starts again and gets one whole connection.
        var again = await GetAsync(await AuthorizedCallbackAsync("crashy"));
        Assert.Equal("connected", QueryHelpers.ParseQuery(again.Headers.Location!.Query)["status"]);
        Assert.Equal(1, await DbAsync(db => db.Connections.CountAsync(c => c.UserId == "crashy")));
    }

    [Fact]
    public async Task A_credential_blob_copied_into_another_row_does_not_decrypt()
    {
        await GetAsync(await AuthorizedCallbackAsync("owner"));
        await GetAsync(await AuthorizedCallbackAsync("thief"));
        var owner = await DbAsync(db => db.Connections.SingleAsync(c => c.UserId == "owner"));
        var thief = await DbAsync(db => db.Connections.SingleAsync(c => c.UserId == "thief"));
        await DbAsync(db => db.Connections.Where(c => c.Id == thief.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Credentials, owner.Credentials)));

        var protector = _portal.Services.GetRequiredService<CredentialProtector>();
        Assert.NotNull(protector.Unprotect(_app.Id, owner.Id, owner.Credentials).AccessToken);
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(_app.Id, thief.Id, owner.Credentials));
        var other = await _portal.CreateAppAsync("Other");
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(other.Id, owner.Id, owner.Credentials));
    }

    [Fact]
    public async Task After_a_key_roll_old_connections_still_decrypt_and_new_ones_use_the_new_key()
    {
        await GetAsync(await AuthorizedCallbackAsync("before-roll"));
        var before = await DbAsync(db => db.Connections.SingleAsync(c => c.UserId == "before-roll"));
        var keys = _portal.Services.GetRequiredService<IKeyManager>();
        var keyCount = keys.GetAllKeys().Count;
        keys.CreateNewKey(DateTimeOffset.UtcNow.AddSeconds(-1), DateTimeOffset.UtcNow.AddDays(90));
        Assert.Equal(keyCount + 1, keys.GetAllKeys().Count);
        Assert.Equal(keyCount + 1, await DbAsync(db => db.DataProtectionKeys.CountAsync()));

        var protector = _portal.Services.GetRequiredService<CredentialProtector>();
        Assert.NotNull(protector.Unprotect(_app.Id, before.Id, before.Credentials).AccessToken);
        await GetAsync(await AuthorizedCallbackAsync("after-roll"));
        var after = await DbAsync(db => db.Connections.SingleAsync(c => c.UserId == "after-roll"));
        Assert.NotNull(protector.Unprotect(_app.Id, after.Id, after.Credentials).AccessToken);
    }

    [Fact]
    public async Task A_revocation_the_provider_fails_is_retried_later_and_the_local_credentials_are_gone_at_once()
    {
        await GetAsync(await AuthorizedCallbackAsync("leaver"));
        var connection = await DbAsync(db => db.Connections.SingleAsync(c => c.UserId == "leaver"));
        var token = _portal.Services.GetRequiredService<CredentialProtector>().Unprotect(_app.Id, connection.Id, connection.Credentials).AccessToken!;

        // The operator's Butterbase:Toolkits:{Slug}:RevocationUrl as the portal holds it (bound at start, again on a reload).
        var settings = _portal.Services.GetRequiredService<IOptionsMonitor<ToolkitSettingsBySlug>>().CurrentValue.For(Slug);
        var revocationUrl = settings.RevocationUrl;
        settings.RevocationUrl = "http://127.0.0.1:1/revoke"; // the provider is down
        var worker = _portal.Services.GetRequiredService<RevocationWorker>();
        try
        {
            using var admin = _portal.Http(_app.ApiKey);
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Base}/connections/{connection.Id}")).StatusCode);
            Assert.Equal(0, await DbAsync(db => db.Connections.CountAsync(c => c.Id == connection.Id)));
            await worker.RunOnceAsync(CancellationToken.None);
            var job = await DbAsync(db => db.RevocationJobs.SingleAsync());
            Assert.Equal(1, job.Attempts);
            Assert.True(_fake.IsAccessTokenActive(token));
        }
        finally { settings.RevocationUrl = revocationUrl; }

        await worker.RunOnceAsync(CancellationToken.None); // not due yet: nothing happens
        Assert.True(_fake.IsAccessTokenActive(token));
        _clock.Advance(TimeSpan.FromMinutes(1));
        await worker.RunOnceAsync(CancellationToken.None);
        Assert.False(_fake.IsAccessTokenActive(token));
        Assert.Equal(0, await DbAsync(db => db.RevocationJobs.CountAsync()));
    }

    [Fact]
    public async Task Revocation_retries_run_as_a_recurring_quartz_job_woken_by_the_delete_and_again_after_the_backoff()
    {
        await GetAsync(await AuthorizedCallbackAsync("quartz-leaver"));
        var connection = await DbAsync(db => db.Connections.SingleAsync(c => c.UserId == "quartz-leaver"));
        var token = _portal.Services.GetRequiredService<CredentialProtector>().Unprotect(_app.Id, connection.Id, connection.Credentials).AccessToken!;
        var scheduler = await _portal.Services.GetRequiredService<Quartz.ISchedulerFactory>().GetScheduler();
        var cadence = await scheduler.GetTrigger(new Quartz.TriggerKey(RevocationWorker.JobName, Butterbase.Portal.Scheduling.RecurringJobs.Group));
        Assert.Equal(RevocationWorker.Every, Assert.IsAssignableFrom<Quartz.ISimpleTrigger>(cadence).RepeatInterval); // the 30 s pass is stored in the job store

        // The operator's Butterbase:Toolkits:{Slug}:RevocationUrl as the portal holds it (bound at start, again on a reload).
        var settings = _portal.Services.GetRequiredService<IOptionsMonitor<ToolkitSettingsBySlug>>().CurrentValue.For(Slug);
        var revocationUrl = settings.RevocationUrl;
        settings.RevocationUrl = "http://127.0.0.1:1/revoke"; // the provider is down
        try
        {
            using var admin = _portal.Http(_app.ApiKey);
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Base}/connections/{connection.Id}")).StatusCode);
            // No call to the worker here: the delete woke the Quartz job, which made the first attempt.
            await UntilAsync(async () => (await DbAsync(db => db.RevocationJobs.SingleOrDefaultAsync()))?.Attempts == 1, "the first attempt");
            Assert.True(_fake.IsAccessTokenActive(token));
        }
        finally { settings.RevocationUrl = revocationUrl; }

        _clock.Advance(TimeSpan.FromMinutes(1)); // past the backoff
        await _portal.Services.GetRequiredService<Butterbase.Portal.Scheduling.RecurringJobs>().RunNowAsync(RevocationWorker.JobName); // what the next 30 s pass does
        await UntilAsync(async () => await DbAsync(db => db.RevocationJobs.CountAsync()) == 0, "the retry");
        Assert.False(_fake.IsAccessTokenActive(token));
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not within 10 s: {what}.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_wrong_iss_in_the_authorization_response_is_rejected_and_the_right_one_accepted()
    {
        var settings = _portal.Services.GetRequiredService<IOptionsMonitor<ToolkitSettingsBySlug>>().CurrentValue.For(Slug);
        settings.Issuer = "https://issuer.example";
        try
        {
            _fake.Options.Issuer = "https://attacker.example"; // RFC 9207: a mix-up shows as another issuer
            var before = _fake.TokenRequests.Count;
            var wrong = await GetAsync(await AuthorizedCallbackAsync("mixed-up"));
            var result = QueryHelpers.ParseQuery(wrong.Headers.Location!.Query);
            Assert.Equal("failed", result["status"]);
            Assert.Equal("issuer_mismatch", result["error"]);
            Assert.Equal(before, _fake.TokenRequests.Count);
            Assert.Equal(0, await DbAsync(db => db.Connections.CountAsync(c => c.UserId == "mixed-up")));

            _fake.Options.Issuer = "https://issuer.example";
            var right = await GetAsync(await AuthorizedCallbackAsync("mixed-up"));
            Assert.Equal("connected", QueryHelpers.ParseQuery(right.Headers.Location!.Query)["status"]);
        }
        finally
        {
            settings.Issuer = null;
            _fake.Options.Issuer = null;
        }
    }
}
