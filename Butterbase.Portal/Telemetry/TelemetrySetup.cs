using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Butterbase.Portal.Telemetry;

public static class TelemetrySetup
{
    /// <summary>The standard OpenTelemetry setting; the exporter also reads OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS, … itself.</summary>
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Traces and metrics over OTLP, off unless <see cref="EndpointKey"/> is set (environment or configuration): a
    /// self-hosted portal sends nothing anywhere by default. Spans: each HTTP request (ASP.NET Core's instrumentation,
    /// which redacts query values), and under it the portal's own (<see cref="PortalTelemetry"/>): execute, the provider
    /// call, connect callbacks, token refreshes, function invocations. HttpClient's instrumentation is left out on
    /// purpose: it records the full URL of every provider call, whose path can hold user data and, for some providers,
    /// a token; the portal's provider-call span records the method, the host and the status instead.
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        if (builder.Configuration[EndpointKey] is not { Length: > 0 }) return builder;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "butterbase-portal"))
            .WithTracing(t => t
                .AddSource(PortalTelemetry.Name)
                .AddAspNetCoreInstrumentation(o =>
                {
                    // Static files, the Blazor circuit's traffic and health probes would drown the requests people look for.
                    o.Filter = c => !c.Request.Path.StartsWithSegments("/_blazor") && !c.Request.Path.StartsWithSegments("/_framework")
                        && !c.Request.Path.StartsWithSegments("/_content") && !c.Request.Path.StartsWithSegments("/healthz");
                })
                .AddOtlpExporter())
            .WithMetrics(m => m
                .AddMeter(PortalTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter());
        return builder;
    }
}
