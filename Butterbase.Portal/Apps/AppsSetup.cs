namespace Butterbase.Portal.Apps;

public static class AppsSetup
{
    /// <summary>Apps, their API keys and the end-user JWTs they mint or trust.</summary>
    public static IServiceCollection AddApps(this IServiceCollection services)
    {
        services.AddSingleton<AppRegistry>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<UserTokens>();
        return services;
    }
}
