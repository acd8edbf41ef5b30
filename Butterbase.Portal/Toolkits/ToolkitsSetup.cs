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
}
