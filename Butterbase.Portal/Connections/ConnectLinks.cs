using Butterbase.Portal.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>
/// Connect links for someone who is not in an app's own UI: an AI agent hands its user a URL (MCP's not-connected result,
/// docs/architecture.md "MCP"). The link names the app, the end user and the toolkit, sealed and time-limited by Data
/// Protection; opening it starts a fresh connection request (so one link can be retried after a cancelled consent) and
/// sends the browser to the provider, which returns to <see cref="DonePath"/>: "Connected — you can return to your agent".
/// </summary>
public sealed class ConnectLinks(IDataProtectionProvider dataProtection, IDbContextFactory<PortalDb> dbFactory, ConnectFlow flow,
    Outbound.PublicOrigin origin, TimeProvider clock)
{
    public const string StartPath = "/connect/start";
    public const string DonePath = "/connect/done";
    /// <summary>
    /// As long as a connection request lives (<see cref="ConnectFlow.RequestLifetime"/>): a link is a bearer capability like
    /// any provider authorize URL (whoever completes it connects their account to that user), so it must not outlive one.
    /// </summary>
    public static readonly TimeSpan Lifetime = ConnectFlow.RequestLifetime;

    private readonly ITimeLimitedDataProtector _protector = dataProtection.CreateProtector("Butterbase.Connections.ConnectLink").ToTimeLimitedDataProtector();

    /// <param name="scopes">Scopes to ask for beside the app's (a tool's missing scope, docs/architecture.md "Scopes per tool").</param>
    /// <param name="connectionId">The connection the consent renews (a reconnect), or null for a fresh one.</param>
    public string Create(string appId, string userId, string toolkit, IReadOnlyList<string>? scopes = null, string? connectionId = null)
    {
        var parts = scopes is { Count: > 0 } || connectionId is not null
            ? [appId, userId, toolkit, connectionId ?? "", string.Join(' ', scopes ?? [])]
            : new[] { appId, userId, toolkit };
        return $"{origin.Value}{StartPath}?t={Uri.EscapeDataString(_protector.Protect(string.Join('\n', parts), clock.GetUtcNow() + Lifetime))}";
    }

    private readonly ITimeLimitedDataProtector _details = dataProtection.CreateProtector("Butterbase.Connections.ConnectDoneDetail").ToTimeLimitedDataProtector();

    /// <summary>The most of a provider's `error_description` the done page shows.</summary>
    public const int MaxDetailLength = 300;

    /// <summary>
    /// Seals what the provider said about a failed connect for <see cref="DonePath"/>: the page shows only text the
    /// callback sealed, so a crafted `/connect/done?detail=…` link cannot put words in the portal's mouth. Control
    /// characters go, and the text is cut to <see cref="MaxDetailLength"/>; the page HTML-encodes it (docs/security.md [8]).
    /// </summary>
    public string SealDetail(string text)
    {
        var clean = new string(text.Where(c => !char.IsControl(c)).Take(MaxDetailLength + 1).ToArray()).Trim();
        if (clean.Length > MaxDetailLength) clean = clean[..MaxDetailLength] + "…";
        return _details.Protect(clean, clock.GetUtcNow() + Lifetime);
    }

    /// <summary>The sealed text, or null for anything else (absent, tampered, expired, another key ring's).</summary>
    public string? OpenDetail(string? sealedText)
    {
        if (sealedText is not { Length: > 0 and < 4096 }) return null;
        try { return _details.Unprotect(sealedText, out _); }
        catch (System.Security.Cryptography.CryptographicException) { return null; }
    }

    public static void MapConnectLinks(IEndpointRouteBuilder app) =>
        app.MapGet(StartPath, (string? t, ConnectLinks links, CancellationToken ct) => links.StartAsync(t, ct)).AllowAnonymous()
            .RequireRateLimiting(Api.ApiSetup.PerAddressRateLimit).ExcludeFromDescription();

    private async Task<IResult> StartAsync(string? t, CancellationToken ct)
    {
        string[] parts;
        try { parts = t is { Length: > 0 and < 4096 } ? _protector.Unprotect(t, out _).Split('\n') : []; }
        catch (System.Security.Cryptography.CryptographicException) { parts = []; } // tampered, expired or another key ring's
        if (parts is not ([_, _, _] or [_, _, _, _, _])) return Done("expired");
        var (appId, userId, toolkit) = (parts[0], parts[1], parts[2]);
        var reconnectId = parts.Length == 5 && parts[3].Length > 0 ? parts[3] : null;
        var scopes = parts.Length == 5 ? parts[4].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        Apps.App? app;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct);
        if (app is null) return Done("expired");
        var (started, failure) = await flow.StartAsync(app, userId, toolkit, origin.Value + DonePath, reconnectId, origin.Value, ct, portalRedirect: true, extraScopes: scopes);
        return started is not null ? Results.Redirect(started.AuthUrl) : Done(failure!.Code);

        IResult Done(string error) => Results.Redirect($"{DonePath}?status=failed&error={Uri.EscapeDataString(error)}");
    }
}
