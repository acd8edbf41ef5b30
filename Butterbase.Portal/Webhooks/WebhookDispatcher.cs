using System.Diagnostics;
using System.Text;
using Butterbase.Portal.Data;
using Butterbase.Portal.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Webhooks;

/// <summary>
/// Sends due webhook deliveries from the outbox (<see cref="WebhookOutbox"/>). <see cref="RunDueAsync"/> is the whole job:
/// it claims each due delivery with a conditional UPDATE of its <see cref="WebhookDelivery.NextAttemptAt"/> (moved to the end
/// of a lease, only if it still holds the value read), so of several instances on one database exactly one sends each
/// attempt; a sender that dies mid-attempt loses its lease and the attempt is made again after it. Each attempt is signed
/// (<see cref="WebhookSecrets"/>), bounded by <see cref="WebhookOptions.Timeout"/>, goes through the outbound policy (the
/// endpoint's host is tenant-chosen: no private addresses unless the operator allows them, no redirects), and is logged
/// capped with signatures redacted. Retries follow <see cref="WebhookOptions.RetrySchedule"/>, or a 429/503's `Retry-After`
/// up to <see cref="WebhookOptions.MaxRetryAfter"/>. When a message has used every attempt and the endpoint has not
/// answered 2xx since that message was queued, the endpoint is disabled and `webhook.endpoint_disabled` goes to the app's
/// other endpoints. What runs it is separate and small (<see cref="WebhookDeliveryPass"/>).
/// </summary>
public sealed class WebhookDispatcher
{
    public const string HttpClientName = "webhooks";
    private const int Batch = 100;
    private const int Parallelism = 8;
    private const int MaxLoggedBytes = 4096;

    private readonly IDbContextFactory<PortalDb> _dbFactory;
    private readonly IHttpClientFactory _http;
    private readonly WebhookSecrets _secrets;
    private readonly WebhookOutbox _outbox;
    private readonly IOptionsMonitor<WebhookOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly Scheduling.RecurringJobs _jobs;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private DateTime _lastPrune;

    public WebhookDispatcher(IDbContextFactory<PortalDb> dbFactory, IHttpClientFactory http, WebhookSecrets secrets, WebhookOutbox outbox,
        IOptionsMonitor<WebhookOptions> options, TimeProvider clock, ILogger<WebhookDispatcher> logger, Scheduling.RecurringJobs jobs)
    {
        (_dbFactory, _http, _secrets, _outbox, _options, _clock, _logger, _jobs) = (dbFactory, http, secrets, outbox, options, clock, logger, jobs);
        outbox.Nudge = Wake;
    }

    /// <summary>Something was enqueued on this instance: fire the delivery job now instead of at its next pass.</summary>
    public void Wake()
    {
        if (_options.CurrentValue.Send) _jobs.RunSoon(WebhookDeliveryPass.JobName);
    }

    /// <summary>
    /// Sends every delivery that is due now, each attempt by exactly one instance; answers the attempts made. Safe to call
    /// from several threads, processes and instances at once (the lead's Quartz job calls this).
    /// </summary>
    public async Task<int> RunDueAsync(CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            var sent = 0;
            while (!ct.IsCancellationRequested)
            {
                var now = _clock.GetUtcNow().UtcDateTime;
                List<(string Id, DateTime Seen)> due;
                await using (var db = await _dbFactory.CreateDbContextAsync(ct))
                    due = (await db.Set<WebhookDelivery>().AsNoTracking()
                            .Where(d => d.NextAttemptAt != null && d.NextAttemptAt <= now && d.State == WebhookDelivery.Pending)
                            .OrderBy(d => d.NextAttemptAt).Take(Batch).Select(d => new { d.Id, d.NextAttemptAt }).ToListAsync(ct))
                        .Select(d => (d.Id, d.NextAttemptAt!.Value)).ToList();
                var made = 0;
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (d, token) =>
                {
                    if (await AttemptAsync(d.Id, d.Seen, token)) Interlocked.Increment(ref made);
                });
                sent += made;
                if (due.Count < Batch) break;
            }
            await PruneAsync(ct);
            return sent;
        }
        finally { _pass.Release(); }
    }

    /// <summary>Claims the delivery (if still due as read), makes one attempt, records it. False when another sender had it.</summary>
    private async Task<bool> AttemptAsync(string deliveryId, DateTime seen, CancellationToken ct)
    {
        var options = _options.CurrentValue;
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var now = _clock.GetUtcNow().UtcDateTime;
        var lease = now + options.Timeout + TimeSpan.FromSeconds(30);
        if (await db.Set<WebhookDelivery>().Where(d => d.Id == deliveryId && d.NextAttemptAt == seen && d.State == WebhookDelivery.Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, lease), ct) != 1)
            return false;

        var delivery = await db.Set<WebhookDelivery>().AsNoTracking().SingleAsync(d => d.Id == deliveryId, ct);
        var message = await db.Set<WebhookMessage>().AsNoTracking().SingleAsync(m => m.Id == delivery.MessageId, ct);
        var endpoint = await db.Set<WebhookEndpoint>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == delivery.EndpointId, ct);
        if (endpoint is null || !endpoint.Enabled)
        {
            await db.Set<WebhookDelivery>().Where(d => d.Id == deliveryId)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, WebhookDelivery.Cancelled).SetProperty(d => d.NextAttemptAt, (DateTime?)null), ct);
            return false;
        }

        var attempt = delivery.Attempts + 1;
        var timestamp = _clock.GetUtcNow().ToUnixTimeSeconds();
        var secrets = _secrets.Signing(endpoint, now);
        var signature = WebhookSecrets.Sign(secrets, message.Id, timestamp, message.Payload);
        var started = Stopwatch.GetTimestamp();
        int? status = null;
        string? error = null, responseText = null;
        TimeSpan? retryAfter = null;
        using (var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url))
        {
            request.Headers.TryAddWithoutValidation("webhook-id", message.Id);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", signature);
            request.Content = new StringContent(message.Payload, Encoding.UTF8, "application/json");
            // Tenant-chosen host: never one the operator configured (OperatorHostGuard reads this).
            request.Options.Set(Outbound.OutboundPolicy.TenantChosenHost, true);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Timeout);
            try
            {
                using var response = await _http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                status = (int)response.StatusCode;
                responseText = await ReadCappedAsync(response, timeout.Token);
                if (status is 429 or 503 && response.Headers.RetryAfter is { } ra)
                    retryAfter = ra.Delta ?? (ra.Date is { } date ? date - _clock.GetUtcNow() : null);
                if (status is < 200 or >= 300) error = $"The endpoint answered {status}.";
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { error = $"No answer within {options.Timeout.TotalSeconds:0.#} s."; }
            // One message for refused, closed, filtered and refused-by-policy (docs/security.md [32]).
            // A receiver that answers and then resets the connection fails the body read with an IOException: that too
            // is its failure (an attempt counted towards the schedule), never an error that aborts the pass for every app.
            catch (Exception e) when (e is HttpRequestException or IOException) { error = Outbound.OutboundPolicy.Unreachable; }
        }
        var duration = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var ok = error is null;
        PortalTelemetry.WebhookDeliveries.Add(1, new("event_type", message.EventType), new("outcome", ok ? "delivered" : "failed"));
        now = _clock.GetUtcNow().UtcDateTime;
        DateTime? next = null;
        var exhausted = false;
        if (!ok)
        {
            if (attempt > options.Schedule.Length) exhausted = true;
            else
            {
                var wait = options.Schedule[attempt - 1];
                // A receiver that says when to come back (429/503) is believed, even sooner than the schedule, up to the cap.
                if (retryAfter is { } after)
                    wait = after < TimeSpan.Zero ? TimeSpan.Zero : after > options.MaxRetryAfter ? options.MaxRetryAfter : after;
                next = now + wait;
            }
        }

        db.Set<WebhookAttempt>().Add(new WebhookAttempt
        {
            Id = Ids.New("wha_", 20), AppId = endpoint.AppId, EndpointId = endpoint.Id, DeliveryId = delivery.Id, MessageId = message.Id,
            EventType = message.EventType, Attempt = attempt, StatusCode = status, Error = error, DurationMs = duration,
            Request = Redact(DescribeRequest(endpoint.Url, message, timestamp), secrets, signature),
            Response = responseText is null ? null : Redact(responseText, secrets, signature),
            NextAttemptAt = next, CreatedAt = now,
        });
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        var state = ok ? WebhookDelivery.Succeeded : exhausted ? WebhookDelivery.Failed : WebhookDelivery.Pending;
        await db.Set<WebhookDelivery>().Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Attempts, attempt).SetProperty(d => d.State, state).SetProperty(d => d.NextAttemptAt, next), ct);
        if (ok)
            await db.Set<WebhookEndpoint>().Where(e => e.Id == endpoint.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.LastSuccessAt, now), ct);
        var disabled = false;
        if (exhausted)
        {
            var since = delivery.CreatedAt;
            disabled = await db.Set<WebhookEndpoint>()
                .Where(e => e.Id == endpoint.Id && e.Enabled && (e.LastSuccessAt == null || e.LastSuccessAt < since))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Enabled, false).SetProperty(e => e.UpdatedAt, now)
                    .SetProperty(e => e.DisabledReason, $"Every attempt to deliver {message.Id} failed and nothing succeeded meanwhile."), ct) == 1;
            if (disabled)
                await _outbox.StageAsync(db, endpoint.AppId, WebhookEvents.EndpointDisabled,
                    new { endpointId = endpoint.Id, url = new Uri(endpoint.Url).GetLeftPart(UriPartial.Path), reason = "delivery_failed", messageId = message.Id }, ct, exceptEndpoint: endpoint.Id);
            await db.SaveChangesAsync(ct);
        }
        await transaction.CommitAsync(ct);
        if (disabled)
        {
            _logger.LogWarning("Webhook endpoint {Endpoint} of app {App} disabled after failed deliveries", endpoint.Id, endpoint.AppId);
            Wake();
        }
        return true;
    }

    private static async Task<string> ReadCappedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxLoggedBytes];
        var read = 0;
        while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read), ct) is var n and > 0) read += n;
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        return $"{(int)response.StatusCode} {response.ReasonPhrase}\n\n{text}{(read == buffer.Length ? "… [truncated]" : "")}";
    }

    /// <summary>What was sent, for the log: the URL without its query values (a receiver's token may sit there), the headers, the body.</summary>
    private static string DescribeRequest(string url, WebhookMessage message, long timestamp)
    {
        var uri = new Uri(url);
        var query = uri.Query.Length <= 1 ? "" : "?" + string.Join("&", uri.Query[1..].Split('&').Select(p => p.Split('=')[0] + "=***"));
        var body = message.Payload.Length > MaxLoggedBytes ? message.Payload[..MaxLoggedBytes] + "… [truncated]" : message.Payload;
        return $"POST {uri.GetLeftPart(UriPartial.Path)}{query}\nwebhook-id: {message.Id}\nwebhook-timestamp: {timestamp}\nwebhook-signature: v1,[redacted]\ncontent-type: application/json\n\n{body}";
    }

    /// <summary>A receiver may echo anything back: the secrets and signatures never reach the log.</summary>
    private static string Redact(string text, IEnumerable<string> secrets, string signature)
    {
        foreach (var secret in secrets)
        {
            text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
            text = text.Replace(secret[WebhookSecrets.Prefix.Length..], "[redacted]", StringComparison.Ordinal);
        }
        foreach (var part in signature.Split(' '))
        {
            text = text.Replace(part, "v1,[redacted]", StringComparison.Ordinal);
            text = text.Replace(part[3..], "[redacted]", StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>Every ten minutes: messages and log rows past the retention, once nothing of them is still pending.</summary>
    private async Task PruneAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        if (now - _lastPrune < TimeSpan.FromMinutes(10)) return;
        _lastPrune = now;
        var before = now - _options.CurrentValue.Retention;
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        await db.Set<WebhookAttempt>().Where(a => a.CreatedAt < before).ExecuteDeleteAsync(ct);
        await db.Set<WebhookMessage>().Where(m => m.CreatedAt < before
            && !db.Set<WebhookDelivery>().Any(d => d.MessageId == m.Id && d.State == WebhookDelivery.Pending)).ExecuteDeleteAsync(ct);
    }
}

/// <summary>
/// What drives <see cref="WebhookDispatcher.RunDueAsync"/>: a recurring Quartz.NET job (every
/// <see cref="WebhookOptions.PollInterval"/>: retries come due, other instances enqueue), fired at once when this instance
/// enqueues (<see cref="WebhookDispatcher.Wake"/>). On PostgreSQL the clustered store runs each firing on one instance; the
/// dispatcher's claims keep an attempt to one sender anyway. Kept this small on purpose: the logic is in the dispatcher.
/// </summary>
[Quartz.DisallowConcurrentExecution]
public sealed class WebhookDeliveryPass(WebhookDispatcher dispatcher, IOptionsMonitor<WebhookOptions> options) : Quartz.IJob
{
    public const string JobName = "webhook-deliveries";

    public async ValueTask Execute(Quartz.IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        if (options.CurrentValue.Send) await dispatcher.RunDueAsync(cancellationToken);
    }
}
