using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Butterbase.Portal.Execution;

public static class ExecutionSetup
{
    public static void AddExecution(this IServiceCollection services)
    {
        services.AddSingleton<ToolParameters>();
        services.AddSingleton<ToolRunner>();
        services.AddSingleton<ExecutionRecorder>();
        services.AddSingleton<ProxyRunner>();
        services.AddSingleton<IdempotencyStore>();
        // Polly's telemetry logs every provider call's successful attempt at Information ("Execution attempt … Handled:
        // 'False'"): a formatted console line per execute, ~3 % of the portal's CPU under load (perf, docs/architecture.md
        // "Execute"). Retries, handled failures (Warning) and an opened circuit (Error) are still logged.
        services.AddLogging(logging => logging.AddFilter("Polly", LogLevel.Warning));
        services.AddOptions<LogQuota>().BindConfiguration(LogQuota.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<Connections.ConnectLinks>(); // insufficient_scope answers carry a reconnect link
        services.TryAddSingleton<Connections.ConnectionPicker>(); // also AddConnections': a host may register execution alone
        services.AddSingleton<ExecutionLog>();
        services.AddHostedService(sp => sp.GetRequiredService<ExecutionLog>());
        foreach (var tool in new CodedTool[]
                 {
                     new GmailSendEmail(), new SlackMethod(), new GoogleCalendarEventsList(), new GoogleCalendarWriteEvent(), new GoogleDriveUploadFile(),
                     new GoogleDriveDownloadFile(), new HubSpotCreate(), new NotionCreatePage(), new OutlookSendEmail(), new OutlookListMessages(),
                     new OutlookListEvents(), new OutlookCreateEvent(), new GitHubGetFileContents(), new MondayGraphQL(),
                     new GmailReplyToEmail(), new GmailCreateDraft(), new SlackUploadFile(), new GoogleSheetsSheetRequest(), new NotionAppendBlocks(),
                     new OutlookReply(), new OutlookForward(), new OutlookUpdateEvent(), new GoogleDriveCreateFolder(),
                 })
            services.AddSingleton(tool);
        services.AddSingleton<CodedTool>(sp => new DiscordSendMessage(sp.GetRequiredService<IOptionsMonitor<Connections.ToolkitSettingsBySlug>>()));
        services.AddSingleton<CodedTool>(sp => new DiscordListChannels(sp.GetRequiredService<IOptionsMonitor<Connections.ToolkitSettingsBySlug>>()));
        services.AddSingleton<CodedTool>(sp => new DiscordCreateChannel(sp.GetRequiredService<IOptionsMonitor<Connections.ToolkitSettingsBySlug>>()));
        services.AddSingleton<CodedTool>(sp => new DiscordBotMethod(sp.GetRequiredService<IOptionsMonitor<Connections.ToolkitSettingsBySlug>>()));

        services.AddHttpClient(ToolRunner.HttpClientName, c =>
            {
                c.DefaultRequestHeaders.UserAgent.ParseAdd("Butterbase-Integrations/1.0");
                c.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline owns timeouts
                // A provider (or a host a connection field names) cannot make the host buffer gigabytes: answers are read
                // whole and then cut to ToolRunner.MaxResponseSize characters; beyond this they fail as upstream_error.
                c.MaxResponseContentBufferSize = ToolRunner.MaxBufferedResponseBytes;
            })
            // Connection host fields make some of these addresses tenant-chosen: every connect goes through the outbound
            // policy (public addresses only, checked on the resolved IP), and no redirect is followed (it could carry the
            // Authorization header to another host).
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<Outbound.OutboundPolicy>().CreateHandler())
            .AddHttpMessageHandler(sp => new Outbound.OperatorHostGuard(sp.GetRequiredService<Outbound.OutboundPolicy>()))
            // The default handlers log URLs, which may carry api keys in the query.
            .RemoveAllLoggers()
            // Outside the resilience pipeline, outermost first (docs/architecture.md "Execute"): a 401 forces one refresh and
            // a fresh send of the same request (its own retries, timeouts and policy checks) ...
            .AddHttpMessageHandler(sp => new Connections.ConnectionRefreshHandler(sp.GetService<Connections.TokenRefresher>()))
            // ... a 403 that is a rate limit is read as one (after the pipeline's retries, on the answer the caller gets) ...
            .AddHttpMessageHandler(() => new ProviderRateLimitHandler())
            // ... and each of Drive's two calls is retried on its own.
            .AddHttpMessageHandler(() => new GoogleDriveDownloadHandler())
            // The standard pipeline (total timeout → retry → circuit breaker → attempt timeout) without its rate limiter: that
            // is a 1,000-call concurrency limit per host whose rejection nothing here answers (it would be a 500), and the
            // API's own per-app limiter comes first. One strategy fewer per provider call (docs/architecture.md "Execute").
            .AddResilienceHandler("provider", pipeline =>
            {
                pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "total", Timeout = TimeSpan.FromSeconds(45) });
                var retry = new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    ShouldRetryAfterHeader = true,           // 429/503 Retry-After, seconds or a date
                    MaxDelay = TimeSpan.FromSeconds(10),     // never wait longer than this for a retry
                };
                retry.DisableForUnsafeHttpMethods();         // a POST is never retried blindly
                pipeline.AddRetry(retry);
                pipeline.AddCircuitBreaker(ProviderCircuit.Options()); // 429 is one credential's answer: not counted
                pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "attempt", Timeout = TimeSpan.FromSeconds(20) });
            })
            .SelectPipelineBy(_ => ProviderCircuit.KeyOf); // one circuit breaker per app and provider host
    }
}
