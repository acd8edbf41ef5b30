using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Webhooks;

public static class WebhooksSetup
{
    /// <summary>The connection lifecycle seam, the webhook outbox, its sender and what drives it, and the policed delivery client.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration("Butterbase:Webhooks");
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<ConnectionLifecycle>();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookEndpoints>();
        services.AddSingleton<WebhookDispatcher>();
        // REVIEW: the lead moves this trigger onto a Quartz.NET job at merge; the job calls WebhookDispatcher.RunDueAsync.
        services.AddHostedService<WebhookTrigger>();
        // Endpoint URLs are tenant-chosen: every connect under the outbound policy (public addresses only, checked on the
        // resolved IP), no redirects, no proxy, never an operator's own host; the attempt's timeout is the dispatcher's.
        services.AddHttpClient(WebhookDispatcher.HttpClientName, c =>
            {
                c.Timeout = Timeout.InfiniteTimeSpan;
                c.DefaultRequestHeaders.UserAgent.ParseAdd("Butterbase-Webhooks/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<Outbound.OutboundPolicy>().CreateHandler())
            .AddHttpMessageHandler(sp => new Outbound.OperatorHostGuard(sp.GetRequiredService<Outbound.OutboundPolicy>(), everyRequest: true))
            .RemoveAllLoggers(); // the default handlers log URLs, and a receiver's URL may carry its own token
        return services;
    }
}
