using Butterbase.Portal.Catalog;

namespace Butterbase.Portal.Toolkits;

public static class ToolkitsSetup
{
    /// <summary>The catalog (loaded once, at start) and each app's toolkit configurations.</summary>
    public static IServiceCollection AddToolkits(this IServiceCollection services)
    {
        services.AddSingleton<ToolkitCatalog>();
        services.AddSingleton<ToolkitConfigs>();
        return services;
    }

    /// <summary>At start: what apps stored under slugs the catalog has since merged moves to the absorbing toolkit.</summary>
    public static async Task MoveMergedToolkitSlugsAsync(this IServiceProvider services)
    {
        var moved = await services.GetRequiredService<ToolkitConfigs>().MoveMergedSlugsAsync(services.GetRequiredService<ToolkitCatalog>().MergedSlugs);
        if (moved > 0)
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ToolkitsSetup))
                .LogInformation("Moved {Rows} toolkit configurations and connections from merged toolkit slugs to the toolkits that absorbed them", moved);
    }
}
