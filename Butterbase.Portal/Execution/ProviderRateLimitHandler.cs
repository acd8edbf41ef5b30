using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;

namespace Butterbase.Portal.Execution;

/// <summary>
/// On the provider client (`execution`): reads whether a provider's 403 is really a rate limit and marks the answer
/// (<see cref="IsRateLimited"/>), so execute and the proxy classify it alike (`rate_limited`, not `insufficient_scope`).
/// Google answers `rateLimitExceeded` / `userRateLimitExceeded` in the body
/// (https://developers.google.com/workspace/gmail/api/guides/handle-errors), GitHub `x-ratelimit-remaining: 0`
/// (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api); a toolkit's own quirk
/// (<see cref="Connections.Quirks.ProviderQuirk.IsRateLimited"/>) reads its provider's answers only. A 429 needs no reading:
/// its status says it. Only a 403's body is read here (buffered, at most <see cref="ToolRunner.MaxResponseSize"/>).
/// </summary>
/// <param name="bodyTimeout">How long a 403's body may take to arrive once its headers have (<see cref="DefaultBodyTimeout"/>).</param>
public sealed class ProviderRateLimitHandler(TimeSpan? bodyTimeout = null) : DelegatingHandler
{
    /// <summary>The toolkit a request calls (set by <see cref="ToolRunner.SendPolicedAsync"/>): whose quirks read its answers.</summary>
    public static readonly HttpRequestOptionsKey<Toolkit> ToolkitKey = new("butterbase.toolkit");

    public static readonly TimeSpan DefaultBodyTimeout = TimeSpan.FromSeconds(10);
    private readonly TimeSpan _bodyTimeout = bodyTimeout ?? DefaultBodyTimeout;
    private static readonly HttpRequestOptionsKey<bool> RateLimitedKey = new("butterbase.rate_limited");

    /// <summary>Whether this 403 answer was read as a rate limit.</summary>
    public static bool IsRateLimited(HttpResponseMessage response) =>
        response.RequestMessage?.Options.TryGetValue(RateLimitedKey, out var limited) == true && limited;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode != 403) return response;
        JsonNode? body = null;
        if (response.Content.Headers.ContentLength is null or <= ToolRunner.MaxResponseSize)
        {
            // This handler sits outside the resilience pipeline's timeout, and the proxy's own body timeout starts only
            // once the answer is handed back: a host that drips its 403 body (a tenant's own server) would otherwise hold
            // the call for as long as the caller waits. Past the body timeout the provider "did not answer in time".
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(_bodyTimeout);
            try
            {
                await response.Content.LoadIntoBufferAsync(ToolRunner.MaxResponseSize, limit.Token);
                var text = await response.Content.ReadAsStringAsync(limit.Token);
                try { body = text.Length == 0 ? null : JsonNode.Parse(text); }
                catch (JsonException) { body = JsonValue.Create(text); }
            }
            catch (HttpRequestException) { } // larger than that: judged on its headers alone
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                response.Dispose();
                throw new TaskCanceledException("The provider's 403 answer did not arrive in time.");
            }
        }
        var limited = IsRateLimit(response, body)
            || request.Options.TryGetValue(ToolkitKey, out var toolkit) && Connections.Quirks.ProviderQuirks.IsRateLimited(toolkit, response, body);
        (response.RequestMessage ?? request).Options.Set(RateLimitedKey, limited);
        return response;
    }

    internal static bool IsRateLimit(HttpResponseMessage response, JsonNode? body) =>
        response.Headers.TryGetValues("x-ratelimit-remaining", out var remaining) && remaining.FirstOrDefault() == "0"
        || body?.ToJsonString() is { } text && (text.Contains("rateLimitExceeded", StringComparison.Ordinal)
            || text.Contains("userRateLimitExceeded", StringComparison.Ordinal) || text.Contains("rate limit exceeded", StringComparison.OrdinalIgnoreCase));
}
