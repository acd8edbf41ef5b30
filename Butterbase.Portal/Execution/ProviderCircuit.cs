using Butterbase.Portal.Connections;
using Butterbase.Portal.Outbound;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Butterbase.Portal.Execution;

/// <summary>
/// The provider calls' circuit breakers: one per app and provider host, counting only failures that say the provider is
/// unwell. One app's failing calls must never pause another app's calls to the same provider, and a rate limit is one
/// credential's answer, not the provider's health (docs/security.md "Execution log: refused calls and the provider
/// client's handlers").
/// </summary>
internal static class ProviderCircuit
{
    /// <summary>
    /// Breakers per app for hosts that connections name (a Zendesk subdomain, a self-hosted GitLab): those hosts are
    /// chosen by tenants and end users, unbounded in number, and every pipeline key lives as long as the process, so each
    /// such host shares one of this many pipelines of its app (by its hash) instead of one of its own; their breakers count
    /// nothing (<see cref="Options"/>).
    /// </summary>
    public const int TenantHostBuckets = 64;

    /// <summary>
    /// The pipeline key of a provider call: its app (from the connection it uses; a connect flow's own calls, which have
    /// none yet, share "connect") and its host, or for a tenant-chosen host that host's bucket within the app.
    /// </summary>
    public static string KeyOf(HttpRequestMessage request)
    {
        var app = request.Options.TryGetValue(ConnectionUse.Key, out var use) ? use.Connection.AppId : "connect";
        var uri = request.RequestUri!;
        if (request.Options.TryGetValue(OutboundPolicy.TenantChosenHost, out var chosen) && chosen)
        {
            var bucket = (uint)string.GetHashCode(uri.Authority, StringComparison.OrdinalIgnoreCase) % TenantHostBuckets;
            return $"{app} tenant-host#{bucket}";
        }
        return $"{app} {uri.Scheme}://{uri.Authority}";
    }

    /// <summary>
    /// The breaker's options: the library's defaults (opens at ≥ 10 % failures over ≥ 100 calls, for 5 s), over 40 s, and
    /// failures are what the standard pipeline calls transient except 429: connection failures, timeouts, 5xx and 408.
    /// Nothing counts on a tenant-chosen host: its bucket is shared with other hosts of the app, and an end user who
    /// connects to ~300 hosts of their own that fail (or resolve to a private address) would otherwise open all 64 and
    /// pause every other end user's self-hosted calls; such a call is still bounded by its timeouts.
    /// </summary>
    public static HttpCircuitBreakerStrategyOptions Options() => new()
    {
        SamplingDuration = TimeSpan.FromSeconds(40),
        ShouldHandle = args => ValueTask.FromResult(Counts(args.Context.GetRequestMessage(), args.Outcome)),
    };

    internal static bool Counts(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome) =>
        !(request is not null && request.Options.TryGetValue(OutboundPolicy.TenantChosenHost, out var chosen) && chosen)
        && outcome.Result is not { StatusCode: System.Net.HttpStatusCode.TooManyRequests }
        && HttpClientResiliencePredicates.IsTransient(outcome);
}
