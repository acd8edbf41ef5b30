using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Butterbase.Portal.Telemetry;

/// <summary>
/// The portal's own spans and metrics (docs/architecture.md "Telemetry"). Both cost nothing while nobody listens:
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> answers null and the instruments skip their work, so
/// the hot paths call them unconditionally. Attributes carry names, ids, codes and statuses, never a URL path or query,
/// a parameter, a token or a body: a tool's path can hold a user's data, and some providers put credentials in it.
/// </summary>
public static class PortalTelemetry
{
    public const string Name = "Butterbase.Portal";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    /// <summary>Tool runs, by toolkit, source (api, mcp, function, playground) and outcome (`ok` or the error code).</summary>
    public static readonly Counter<long> Executions = Meter.CreateCounter<long>("butterbase.executions", "{execution}", "Tool executions by outcome");
    public static readonly Histogram<double> ExecutionDuration = Meter.CreateHistogram<double>("butterbase.execution.duration", "s", "Time of a tool execution, provider call included");
    /// <summary>Token refreshes by toolkit and outcome (`refreshed`, `expired`, `failed`, `transient`).</summary>
    public static readonly Counter<long> Refreshes = Meter.CreateCounter<long>("butterbase.refreshes", "{refresh}", "OAuth token refreshes by outcome");
    /// <summary>Webhook delivery attempts by outcome (`delivered`, `failed`).</summary>
    public static readonly Counter<long> WebhookDeliveries = Meter.CreateCounter<long>("butterbase.webhook.deliveries", "{attempt}", "Webhook delivery attempts by outcome");
    /// <summary>Function invocations by trigger and outcome.</summary>
    public static readonly Counter<long> FunctionInvocations = Meter.CreateCounter<long>("butterbase.function.invocations", "{invocation}", "Function invocations by outcome");
    /// <summary>Completed connect callbacks by toolkit and outcome (`connected` or the error code).</summary>
    public static readonly Counter<long> Connects = Meter.CreateCounter<long>("butterbase.connects", "{connect}", "OAuth connect callbacks by outcome");
    public static readonly Counter<long> RefusedRowsDropped = Meter.CreateCounter<long>("butterbase.executions.refused_rows_dropped", "{row}", "Refused executes not logged: over the per-app rate of refused rows");
}
