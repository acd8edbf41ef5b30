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

    public string Create(string appId, string userId, string toolkit) =>
        $"{origin.Value}{StartPath}?t={Uri.EscapeDataString(_protector.Protect(string.Join('\n', appId, userId, toolkit), clock.GetUtcNow() + Lifetime))}";

    public static void MapConnectLinks(IEndpointRouteBuilder app) =>
        app.MapGet(StartPath, (string? t, ConnectLinks links, CancellationToken ct) => links.StartAsync(t, ct)).AllowAnonymous()
            .RequireRateLimiting(Api.ApiSetup.PerAddressRateLimit).ExcludeFromDescription();

    private async Task<IResult> StartAsync(string? t, CancellationToken ct)
    {
        string[] parts;
        try { parts = t is { Length: > 0 and < 4096 } ? _protector.Unprotect(t, out _).Split('\n') : []; }
        catch (System.Security.Cryptography.CryptographicException) { parts = []; } // tampered, expired or another key ring's
        if (parts is not [var appId, var userId, var toolkit]) return Done("expired");
        Apps.App? app;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct);
        if (app is null) return Done("expired");
        var (started, failure) = await flow.StartAsync(app, userId, toolkit, origin.Value + DonePath, null, origin.Value, ct, portalRedirect: true);
        return started is not null ? Results.Redirect(started.AuthUrl) : Done(failure!.Code);

        IResult Done(string error) => Results.Redirect($"{DonePath}?status=failed&error={Uri.EscapeDataString(error)}");
    }
}
