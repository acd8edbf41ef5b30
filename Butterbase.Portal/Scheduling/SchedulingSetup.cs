using Butterbase.Portal.Data;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Quartz;

namespace Butterbase.Portal.Scheduling;

/// <summary>`Butterbase:Scheduling:*`: the job engine's own limits (README, "Configuration").</summary>
public sealed class SchedulingOptions
{
    /// <summary>Jobs one instance runs at once. Jobs here are async (they await the database, a provider, a Deno worker), so a slot is not a thread.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>How late a firing may be before it counts as missed (then the trigger's misfire instruction decides).</summary>
    public int MisfireThresholdSeconds { get; set; } = 60;

    /// <summary>PostgreSQL only: how often an instance records it is alive; another takes over its triggers after about twice this.</summary>
    public int ClusterCheckinSeconds { get; set; } = 10;

    /// <summary>How long the scheduler sleeps when nothing is due before it looks again (a new or changed trigger wakes it at once on its instance).</summary>
    public int IdleWaitSeconds { get; set; } = 30;
}

/// <summary>
/// One job engine for every kind of background work: Quartz.NET with its persistent job store in the portal's own
/// database. On SQLite (one machine) a plain store; on PostgreSQL a clustered one, so of several instances exactly one
/// runs each firing and another takes over the triggers of an instance that died. The store's tables are created by the
/// EF migrations (`Data/Migrations/*_Scheduling.cs`, from Quartz's `tables_sqlite.sql` / `tables_postgres.sql`), so one
/// migration step owns the whole schema. docs/architecture.md, "Jobs (Quartz.NET)".
/// </summary>
public static class SchedulingSetup
{
    public const string SchedulerName = "butterbase";

    public static void AddScheduling(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Butterbase:Scheduling").Get<SchedulingOptions>() ?? new SchedulingOptions();
        builder.Services.AddOptions<SchedulingOptions>().BindConfiguration("Butterbase:Scheduling");
        var database = DatabaseOptions.From(builder.Configuration);
        var postgres = database.UsesPostgres;
        var connectionString = postgres
            ? database.PostgresConnectionString!
            : DatabaseSetup.SqliteConnectionString(database, builder.Environment.ContentRootPath);

        builder.Services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = SchedulerName;
                // Unique per process: clustered instances are told apart by it (two portals in one test process too).
                if (postgres) s.InstanceId = $"{Environment.MachineName[..Math.Min(60, Environment.MachineName.Length)]}-{Guid.NewGuid():N}";
                s.IdleWaitTime = TimeSpan.FromSeconds(Math.Max(1, options.IdleWaitSeconds));
                s.ShutdownJobInterruption = ShutdownJobInterruption.Always; // running jobs see their token cancelled at shutdown
            });
            // Quartz keeps its own clock: tests swap the app's TimeProvider for a fake one to age tokens and backoffs,
            // and the scheduler's waits must not stop with it.
            q.UseTimeProvider(TimeProvider.System);
            q.UseDefaultThreadPool(Math.Max(1, options.MaxConcurrency));
            q.UsePersistentStore(store =>
            {
                store.ConfigureStore(s =>
                {
                    s.StoreJobDataAsStrings = true; // job data is ids only: no serialized objects in the database
                    s.MisfireThreshold = TimeSpan.FromSeconds(Math.Max(1, options.MisfireThresholdSeconds));
                });
                if (postgres)
                {
                    store.UsePostgres(connectionString);
                    store.UseClustering(c =>
                    {
                        c.CheckinInterval = TimeSpan.FromSeconds(Math.Max(1, options.ClusterCheckinSeconds));
                        c.CheckinMisfireThreshold = TimeSpan.FromSeconds(Math.Max(2, options.ClusterCheckinSeconds * 2));
                    });
                }
                else store.UseSqlite(connectionString);
            });
        });
        // Started once the host has started (after the migrations), stopped with it. Running jobs are asked to stop
        // (their token is cancelled) and awaited, so a shutdown leaves no firing half-recorded.
        builder.Services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        builder.Services.TryAddSingleton<RecurringJobs>();
        builder.Services.AddHostedService<SchedulingStartup>();
    }

    /// <summary>
    /// Declares a job that runs every <paramref name="every"/> on exactly one instance (docs/architecture.md, "Jobs
    /// (Quartz.NET)"). Mark <typeparamref name="TJob"/> <c>[DisallowConcurrentExecution]</c> so a slow pass is never
    /// overlapped by the next; <see cref="RecurringJobs.RunNowAsync"/> asks for a pass at once (e.g. after new work was queued).
    /// </summary>
    public static IServiceCollection AddRecurringJob<TJob>(this IServiceCollection services, string name, TimeSpan every) where TJob : class, IJob
    {
        services.TryAddTransient<TJob>();
        services.AddSingleton(new RecurringJob(typeof(TJob), name, every));
        return services;
    }
}

/// <summary>A job declared with <see cref="SchedulingSetup.AddRecurringJob"/>.</summary>
public sealed record RecurringJob(Type JobType, string Name, TimeSpan Every);
