using Microsoft.Extensions.DependencyInjection.Extensions;
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
        // Deliveries are a recurring job on the one job engine (docs/architecture.md "Jobs"), at the configured poll interval.
        services.TryAddTransient<WebhookDeliveryPass>();
        services.AddSingleton(sp => new Scheduling.RecurringJob(typeof(WebhookDeliveryPass), WebhookDeliveryPass.JobName,
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebhookOptions>>().Value.PollInterval));
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
