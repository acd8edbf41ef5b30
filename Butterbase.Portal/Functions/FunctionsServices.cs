namespace Butterbase.Portal.Functions;

public static class FunctionsServices
{
    /// <summary>Functions: deploy, the deploy-time code check, and the supervised Deno worker pool that runs them.</summary>
    public static IServiceCollection AddFunctions(this IServiceCollection services)
    {
        services.AddOptions<FunctionLimits>().BindConfiguration(FunctionLimits.Section);
        services.AddSingleton<FunctionWorkerPool>().AddHostedService(sp => sp.GetRequiredService<FunctionWorkerPool>());
        services.AddSingleton<FunctionCodeCheck>();
        services.AddSingleton<FunctionRuntime>();
        services.AddSingleton<Functions>();
        // Scheduled functions (docs/architecture.md, "Scheduled functions"): rows in the app database, triggers in Quartz.
        services.AddOptions<ScheduleLimits>().BindConfiguration(ScheduleLimits.Section);
        services.AddSingleton<FunctionSchedules>();
        services.AddSingleton<Scheduling.IScheduleReconciler>(sp => sp.GetRequiredService<FunctionSchedules>());
        services.AddTransient<ScheduledFunctionJob>();
        return services;
    }
}
