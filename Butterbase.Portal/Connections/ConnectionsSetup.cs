using Butterbase.Portal.Scheduling;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Butterbase.Portal.Connections;

public static class ConnectionsSetup
{
    /// <summary>
    /// The OAuth engine (providers, client, connect flow, hosted connect pages), the connection store with its
    /// cross-instance cache, token refresh, and the revocation pass (a clustered recurring job).
    /// </summary>
    public static IServiceCollection AddPortalConnections(this IServiceCollection services)
    {
        services.AddToolkitSettings();
        services.AddSingleton<CredentialProtector>();
        services.AddSingleton<ConnectionCache>();
        services.AddSingleton<OAuthProviders>();
        services.AddSingleton<OAuthClient>();
        services.AddSingleton<ConnectFlow>();
        services.AddSingleton<ConnectionStore>();
        services.AddSingleton<HostedConnect>();
        services.AddSingleton<TokenRefresher>();
        services.TryAddSingleton<ConnectionPicker>(); // which connection a call uses, its token made fresh (execute, proxy)
        services.AddSingleton<RevocationWorker>().AddRecurringJob<RevocationWorker.Pass>(RevocationWorker.JobName, RevocationWorker.Every);
        services.AddHttpClient(OAuthClient.HttpClientName, c =>
        {
            c.Timeout = TimeSpan.FromSeconds(30);
            c.DefaultRequestHeaders.UserAgent.ParseAdd("Butterbase-Integrations/1.0"); // GitHub rejects requests without one
        }).RemoveAllLoggers(); // the default handlers log URLs, and some providers put tokens in paths (HubSpot)
        // Same, through the outbound policy: token, identity and revocation endpoints whose host a connection field chose.
        services.AddHttpClient(OAuthClient.TenantHttpClientName, c =>
        {
            c.Timeout = TimeSpan.FromSeconds(30);
            c.DefaultRequestHeaders.UserAgent.ParseAdd("Butterbase-Integrations/1.0");
        })
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<Outbound.OutboundPolicy>().CreateHandler())
            .AddHttpMessageHandler(sp => new Outbound.OperatorHostGuard(sp.GetRequiredService<Outbound.OutboundPolicy>()))
            .RemoveAllLoggers();
        return services;
    }
}
