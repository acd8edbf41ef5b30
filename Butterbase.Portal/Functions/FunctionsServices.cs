namespace Butterbase.Portal.Functions;

public static class FunctionsServices
{
    /// <summary>Functions: deploy, the deploy-time code check, and the supervised Deno worker pool that runs them.</summary>
    public static IServiceCollection AddFunctions(this IServiceCollection services, IConfiguration? configuration = null)
    {
        var limits = services.AddOptions<FunctionLimits>();
        if (configuration is not null) limits.Bind(configuration.GetSection("Butterbase:Functions"));
        services.AddSingleton<FunctionWorkerPool>().AddHostedService(sp => sp.GetRequiredService<FunctionWorkerPool>());
        services.AddSingleton<FunctionCodeCheck>();
        services.AddSingleton<FunctionRuntime>();
        services.AddSingleton<Functions>();
        // Scheduled functions (docs/architecture.md, "Scheduled functions"): rows in the app database, triggers in Quartz.
        var scheduleLimits = services.AddOptions<ScheduleLimits>();
        if (configuration is not null) scheduleLimits.Bind(configuration.GetSection("Butterbase:Functions:Schedules"));
        services.AddSingleton<FunctionSchedules>();
        services.AddSingleton<Scheduling.IScheduleReconciler>(sp => sp.GetRequiredService<FunctionSchedules>());
        services.AddTransient<ScheduledFunctionJob>();
        return services;
    }
}
