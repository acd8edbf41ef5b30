using System.Text.Json;
using System.Text.Json.Serialization;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Webhooks;

/// <summary>The event types an endpoint can subscribe to (docs/architecture.md "Webhooks").</summary>
public static class WebhookEvents
{
    public const string ConnectionCreated = "connection.created";
    public const string ConnectionReauthorized = "connection.reauthorized";
    public const string ConnectionRefreshFailed = "connection.refresh_failed";
    public const string ConnectionExpired = "connection.expired";
    public const string ConnectionDeleted = "connection.deleted";
    public const string ConnectionScopeInsufficient = "connection.scope_insufficient";
    public const string ConnectionRequestFailed = "connection_request.failed";
    public const string ExecutionFailed = "execution.failed";
    public const string FunctionFailed = "function.failed";
    public const string EndpointDisabled = "webhook.endpoint_disabled";
    public const string Test = "webhook.test";

    public static readonly IReadOnlyList<string> All =
    [
        ConnectionCreated, ConnectionReauthorized, ConnectionRefreshFailed, ConnectionExpired, ConnectionDeleted, ConnectionScopeInsufficient,
        ConnectionRequestFailed, ExecutionFailed, FunctionFailed, EndpointDisabled, Test,
    ];

    /// <summary>Sent only to endpoints whose filter names them: every failed execute would otherwise be an event.</summary>
    public static readonly IReadOnlyList<string> OptIn = [ExecutionFailed];

    /// <summary>Whether an endpoint with <paramref name="filter"/> hears <paramref name="type"/>.</summary>
    public static bool Wants(IReadOnlyList<string> filter, string type) =>
        filter.Count == 0 ? !OptIn.Contains(type) : filter.Contains(type);
}

/// <summary>Settings under `Butterbase:Webhooks` (README "Configuration").</summary>
public sealed class WebhookOptions
{
    /// <summary>
    /// Waits before each retry after a non-2xx or a timeout; the attempts are this many plus one. Unset: <see cref="DefaultSchedule"/>
    /// (a configured list replaces it: the binder would append to a non-empty default).
    /// </summary>
    public TimeSpan[]? RetrySchedule { get; set; }

    /// <summary>5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 27.6 hours.</summary>
    public static readonly TimeSpan[] DefaultSchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    public TimeSpan[] Schedule => RetrySchedule is { Length: > 0 } configured ? configured : DefaultSchedule;
    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>A `Retry-After` on 429/503 is honoured up to this, even when shorter than the schedule.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How often each instance looks for due deliveries (an enqueue on this instance wakes it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>How long the old secret keeps signing beside the new one after a rotation.</summary>
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromHours(24);
    /// <summary>
    /// Whether this instance sends (its <see cref="WebhookDeliveryPass"/> sends). Every instance may; turning it off leaves
    /// sending to the others (a dedicated worker), and events queued here are still sent by them.
    /// </summary>
    public bool Send { get; set; } = true;
    /// <summary>Messages and delivery log rows older than this are pruned.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(14);
}

/// <summary>
/// Records events for an app's endpoints in the caller's <see cref="PortalDb"/>, so they commit (or roll back) with the
/// change they report: one <see cref="WebhookMessage"/> and a due <see cref="WebhookDelivery"/> per enabled endpoint that
/// wants the type. Nothing is sent here; <see cref="WebhookDispatcher"/> sends from the table, so a crash after the commit
/// loses nothing and a rollback sends nothing. Payloads carry ids and states, never a token or secret.
/// </summary>
public sealed class WebhookOutbox(TimeProvider clock)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Set by the dispatcher: called after a commit that enqueued something, so the first attempt is prompt.</summary>
    internal Action? Nudge { get; set; }

    /// <summary>
    /// Adds the message and its deliveries to <paramref name="db"/> (not saved: the caller's SaveChanges/commit writes them).
    /// <paramref name="onlyEndpoint"/> limits it to one endpoint (the test event); <paramref name="exceptEndpoint"/> leaves one out.
    /// Answers the message id, or null when no endpoint wants it (nothing is written).
    /// </summary>
    public async Task<string?> StageAsync(PortalDb db, string appId, string type, object data, CancellationToken ct,
        string? onlyEndpoint = null, string? exceptEndpoint = null)
    {
        var endpoints = await db.Set<WebhookEndpoint>().AsNoTracking()
            .Where(e => e.AppId == appId && (onlyEndpoint != null ? e.Id == onlyEndpoint : e.Enabled) && e.Id != exceptEndpoint)
            .Select(e => new { e.Id, e.Events }).ToListAsync(ct);
        var targets = endpoints.Where(e => onlyEndpoint is not null || WebhookEvents.Wants(e.Events.Length == 0 ? [] : e.Events.Split(','), type)).ToList();
        if (targets.Count == 0) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        var message = new WebhookMessage
        {
            Id = Ids.New("msg_", 24), AppId = appId, EventType = type, CreatedAt = now,
            Payload = JsonSerializer.Serialize(new { type, timestamp = now.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), data }, Json),
        };
        db.Set<WebhookMessage>().Add(message);
        foreach (var target in targets)
            db.Set<WebhookDelivery>().Add(new WebhookDelivery
            {
                Id = Ids.New("whd_", 20), AppId = appId, EndpointId = target.Id, MessageId = message.Id, NextAttemptAt = now, CreatedAt = now,
            });
        return message.Id;
    }

    /// <summary>An event that reports no other change (a failed function, a failed execution): its own small transaction.</summary>
    public async Task<string?> SendAsync(IDbContextFactory<PortalDb> dbFactory, string appId, string type, object data, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = await StageAsync(db, appId, type, data, ct);
        if (id is null) return null;
        await db.SaveChangesAsync(ct);
        Committed();
        return id;
    }

    /// <summary>After the commit of something staged: wake this instance's sender.</summary>
    public void Committed() => Nudge?.Invoke();
}

/// <summary>`data` of the connection events: ids and state, never a credential.</summary>
public sealed record ConnectionEventData(string ConnectionId, string Toolkit, string UserId, string Status, string? Reason = null, bool? Revoked = null);
