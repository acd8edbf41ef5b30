using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Webhooks;

/// <summary>An app's webhook receiver: where events go, which ones, and the secret that signs them (encrypted).</summary>
public sealed class WebhookEndpoint
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string Url { get; set; }
    /// <summary>Event types, comma-separated; empty = every event but the opt-in ones (<see cref="WebhookEvents.OptIn"/>).</summary>
    public string Events { get; set; } = "";
    public bool Enabled { get; set; } = true;
    /// <summary>`whsec_…`, Data Protection-encrypted with a purpose bound to app and endpoint id.</summary>
    public required string Secret { get; set; }
    /// <summary>The secret before the last rotation, still signing beside the new one until <see cref="PreviousSecretUntil"/>.</summary>
    public string? PreviousSecret { get; set; }
    public DateTime? PreviousSecretUntil { get; set; }
    /// <summary>The last 2xx answer: an endpoint is disabled only when nothing succeeded while one message used every attempt.</summary>
    public DateTime? LastSuccessAt { get; set; }
    public string? DisabledReason { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }

    public IReadOnlyList<string> EventList => Events.Length == 0 ? [] : Events.Split(',');

    internal static void Configure(ModelBuilder model)
    {
        model.Entity<WebhookEndpoint>(e =>
        {
            e.ToTable("WebhookEndpoints");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.Url).HasMaxLength(2048);
            e.Property(x => x.Events).HasMaxLength(1024);
            e.HasIndex(x => x.AppId);
            e.HasOne<Apps.App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<WebhookMessage>(e =>
        {
            e.ToTable("WebhookMessages");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.EventType).HasMaxLength(64);
            e.HasIndex(x => new { x.AppId, x.CreatedAt });
            e.HasOne<Apps.App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("WebhookDeliveries");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.State).HasMaxLength(16);
            e.HasIndex(x => x.NextAttemptAt);
            e.HasIndex(x => new { x.EndpointId, x.MessageId });
            e.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<WebhookMessage>().WithMany().HasForeignKey(x => x.MessageId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<WebhookAttempt>(e =>
        {
            e.ToTable("WebhookAttempts");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.EventType).HasMaxLength(64);
            e.HasIndex(x => new { x.EndpointId, x.CreatedAt });
            e.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}

/// <summary>
/// One event of an app, as it will be sent: the outbox row, written in the transaction of the change it reports
/// (<see cref="Connections.ConnectionLifecycle"/>). Its id is the `webhook-id` of every attempt and replay.
/// </summary>
public sealed class WebhookMessage
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string EventType { get; init; }
    /// <summary>The exact body sent, serialized once so retries and replays sign the same bytes.</summary>
    public required string Payload { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>A message on its way to one endpoint: attempts made, when the next is due, and the claim that lets only one instance send it.</summary>
public sealed class WebhookDelivery
{
    public const string Pending = "pending", Succeeded = "succeeded", Failed = "failed", Cancelled = "cancelled";

    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string EndpointId { get; init; }
    public required string MessageId { get; init; }
    public string State { get; set; } = Pending;
    public int Attempts { get; set; }
    /// <summary>
    /// When the next attempt is due; null once the delivery is over. A sender claims a delivery by moving this forward to the
    /// end of its lease with a conditional UPDATE on the value it read (the same claim on SQLite and PostgreSQL).
    /// </summary>
    public DateTime? NextAttemptAt { get; set; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>One HTTP attempt, for the endpoint's delivery log: request and response capped, signatures redacted.</summary>
public sealed class WebhookAttempt
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string EndpointId { get; init; }
    public required string DeliveryId { get; init; }
    public required string MessageId { get; init; }
    public required string EventType { get; init; }
    public int Attempt { get; init; }
    public int? StatusCode { get; init; }
    public string? Error { get; init; }
    public int DurationMs { get; init; }
    public string? Request { get; init; }
    public string? Response { get; init; }
    /// <summary>When the delivery will try again after this attempt (null: it will not).</summary>
    public DateTime? NextAttemptAt { get; init; }
    public DateTime CreatedAt { get; init; }
}
