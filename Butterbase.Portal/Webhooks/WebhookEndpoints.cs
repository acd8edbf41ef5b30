using Butterbase.Portal.Api;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Webhooks;

/// <summary>An app's webhook endpoints: create, change, delete, secrets, test events, the delivery log and replays. The API and the portal page both call this.</summary>
public sealed class WebhookEndpoints(
    IDbContextFactory<PortalDb> dbFactory, WebhookSecrets secrets, WebhookOutbox outbox, Outbound.OutboundPolicy outbound,
    IOptionsMonitor<WebhookOptions> options, TimeProvider clock)
{
    public const int MaxEndpointsPerApp = 20;

    /// <summary>
    /// Why <paramref name="url"/> cannot be an endpoint, or null. https only (http too where the operator allows private
    /// networks: local receivers and tests); no user info or fragment; a literal private address or `localhost` is refused
    /// here with a clear message, and every name is checked again on the address it resolves to when the socket connects
    /// (<see cref="Outbound.OutboundPolicy"/>, docs/security.md [32]).
    /// </summary>
    public string? ProblemWithUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return "Enter the URL that receives the events, e.g. https://example.com/webhooks/butterbase.";
        if (url.Length > 2048) return "That URL is too long (2048 characters at most).";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host))
            return "Enter an absolute https:// URL.";
        if (uri.Scheme == "http" && !outbound.AllowPrivateNetworks) return "Use https:// — events are only sent over TLS.";
        if (uri.UserInfo.Length > 0) return "Leave user names and passwords out of the URL.";
        if (uri.Fragment.Length > 0) return "Remove the #fragment from the URL.";
        if (url.Any(char.IsControl)) return "Remove line breaks and control characters.";
        return outbound.ProblemWithHost(uri.Host); // IPv6 comes bracketed, as ProblemWithHost reads it
    }

    public static string? ProblemWithEvents(IReadOnlyList<string>? events) =>
        events?.FirstOrDefault(e => !WebhookEvents.All.Contains(e)) is { } unknown
            ? $"'{unknown}' is not an event: use {string.Join(", ", WebhookEvents.All)}."
            : null;

    public async Task<List<WebhookEndpoint>> ListAsync(string appId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<WebhookEndpoint>().AsNoTracking().Where(e => e.AppId == appId).OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).ToListAsync(ct);
    }

    public async Task<WebhookEndpoint?> FindAsync(string appId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<WebhookEndpoint>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == id && e.AppId == appId, ct);
    }

    /// <summary>A new endpoint and its secret in clear (shown this once here, and by <see cref="SecretAsync"/>).</summary>
    public async Task<(WebhookEndpoint? Endpoint, string? Secret, ApiError? Problem)> CreateAsync(string appId, string url, IReadOnlyList<string>? events, bool enabled, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Set<WebhookEndpoint>().CountAsync(e => e.AppId == appId, ct) >= MaxEndpointsPerApp)
            return (null, null, new ApiError("too_many_endpoints", $"An app has at most {MaxEndpointsPerApp} webhook endpoints: delete one first."));
        var now = clock.GetUtcNow().UtcDateTime;
        var id = Ids.New("wh_", 20);
        var secret = WebhookSecrets.New();
        var endpoint = new WebhookEndpoint
        {
            Id = id, AppId = appId, Url = url.Trim(), Events = string.Join(',', (events ?? []).Distinct()), Enabled = enabled,
            Secret = secrets.Protect(appId, id, secret), CreatedAt = now, UpdatedAt = now,
        };
        db.Add(endpoint);
        await db.SaveChangesAsync(ct);
        return (endpoint, secret, null);
    }

    /// <summary>Fields given replace; enabling again clears the disabled reason.</summary>
    public async Task<WebhookEndpoint?> UpdateAsync(string appId, string id, string? url, IReadOnlyList<string>? events, bool? enabled, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var endpoint = await db.Set<WebhookEndpoint>().FirstOrDefaultAsync(e => e.Id == id && e.AppId == appId, ct);
        if (endpoint is null) return null;
        if (url is not null) endpoint.Url = url.Trim();
        if (events is not null) endpoint.Events = string.Join(',', events.Distinct());
        if (enabled is { } on)
        {
            endpoint.Enabled = on;
            if (on) endpoint.DisabledReason = null;
        }
        endpoint.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return endpoint;
    }

    public async Task<bool> DeleteAsync(string appId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<WebhookEndpoint>().Where(e => e.Id == id && e.AppId == appId).ExecuteDeleteAsync(ct) == 1;
    }

    public async Task<string?> SecretAsync(string appId, string id, CancellationToken ct = default) =>
        await FindAsync(appId, id, ct) is { } endpoint ? secrets.Unprotect(appId, id, endpoint.Secret) : null;

    /// <summary>A new secret; the old one keeps signing beside it for <see cref="WebhookOptions.RotationOverlap"/>.</summary>
    public async Task<string?> RotateAsync(string appId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var endpoint = await db.Set<WebhookEndpoint>().FirstOrDefaultAsync(e => e.Id == id && e.AppId == appId, ct);
        if (endpoint is null) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        var secret = WebhookSecrets.New();
        endpoint.PreviousSecret = endpoint.Secret;
        endpoint.PreviousSecretUntil = now + options.CurrentValue.RotationOverlap;
        endpoint.Secret = secrets.Protect(appId, id, secret);
        endpoint.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return secret;
    }

    /// <summary>Queues `webhook.test` for this endpoint alone (enabled or not is the endpoint's own business: disabled ones are skipped by the sender).</summary>
    public async Task<string?> SendTestAsync(string appId, string id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.Set<WebhookEndpoint>().AnyAsync(e => e.Id == id && e.AppId == appId, ct)) return null;
        var messageId = await outbox.StageAsync(db, appId, WebhookEvents.Test,
            new { endpointId = id, message = "A test event from Butterbase: your endpoint received and can verify it." }, ct, onlyEndpoint: id);
        await db.SaveChangesAsync(ct);
        outbox.Committed();
        return messageId;
    }

    public async Task<List<WebhookAttempt>> DeliveriesAsync(string appId, string id, int limit, int offset, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<WebhookAttempt>().AsNoTracking().Where(a => a.EndpointId == id && a.AppId == appId)
            .OrderByDescending(a => a.CreatedAt).ThenByDescending(a => a.Id).Skip(offset).Take(limit).ToListAsync(ct);
    }

    /// <summary>Sends the message of a logged attempt to the endpoint again, with the same `webhook-id`; answers the message id.</summary>
    public async Task<string?> ReplayAsync(string appId, string id, string attemptId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var attempt = await db.Set<WebhookAttempt>().AsNoTracking().FirstOrDefaultAsync(a => a.Id == attemptId && a.EndpointId == id && a.AppId == appId, ct);
        if (attempt is null || !await db.Set<WebhookMessage>().AnyAsync(m => m.Id == attempt.MessageId, ct)) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        db.Add(new WebhookDelivery { Id = Ids.New("whd_", 20), AppId = appId, EndpointId = id, MessageId = attempt.MessageId, NextAttemptAt = now, CreatedAt = now });
        await db.SaveChangesAsync(ct);
        outbox.Committed();
        return attempt.MessageId;
    }
}
