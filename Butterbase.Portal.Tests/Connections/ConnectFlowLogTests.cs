using System.Net;
using System.Text;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Sandbox;
using Butterbase.Portal.Tests.Sandbox;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>
/// docs/security.md [3] and [26] across a whole Sandbox flow (connect, callback, execute, refresh, delete and revoke): no state,
/// code, PKCE verifier or challenge, token or client secret in any log line, at any level the configuration lets through.
/// The Sandbox's OpenIddict logged whole protocol messages at Information before.
/// </summary>
public sealed class ConnectFlowLogTests
{
    [Fact]
    public async Task A_full_sandbox_flow_logs_no_state_code_verifier_token_or_secret()
    {
        var logs = new CapturingLoggerProvider();
        await using var portal = new PortalApplication().With("Butterbase:Sandbox:Enabled", "true")
            .WithServices(s => s.AddSingleton<ILoggerProvider>(logs));
        var app = await portal.CreateAppAsync("Acme", "https://app.example.com/back");
        using var admin = portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "sandbox" })));

        var started = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/connect",
            JsonAssert.Body(new { toolkit = "sandbox", redirectUrl = "https://app.example.com/back", userId = "sam" })));
        var authUrl = started.GetProperty("authUrl").GetString()!;
        var requestId = started.GetProperty("connectionRequestId").GetString()!;
        var authorize = QueryHelpers.ParseQuery(new Uri(authUrl).Query);
        var secrets = new List<string> { authorize["state"]!, authorize["code_challenge"]! };

        using var driver = new SandboxDriver(portal);
        var toCallback = await driver.SubmitAsync(await driver.ConsentPageAsync(authUrl), "allow", "sam@sandbox.test");
        secrets.Add(QueryHelpers.ParseQuery(toCallback.Headers.Location!.Query)["code"]!);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var done = await browser.GetAsync(toCallback.Headers.Location);
        var connectionId = QueryHelpers.ParseQuery(done.Headers.Location!.Query)["connectionId"].ToString();

        var protector = portal.Services.GetRequiredService<CredentialProtector>();
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
            var request = await db.ConnectionRequests.AsNoTracking().SingleAsync(r => r.Id == requestId);
            secrets.Add(protector.For("pkce", requestId).Unprotect(request.CodeVerifier!));
            var row = await db.Connections.SingleAsync(c => c.Id == connectionId);
            var credentials = protector.Unprotect(app.Id, connectionId, row.Credentials);
            secrets.Add(credentials.AccessToken!);
            secrets.Add(credentials.RefreshToken!);
            // Force a refresh on the next execute.
            row.Credentials = protector.Protect(app.Id, connectionId, credentials with { ExpiresAt = DateTime.UtcNow.AddMinutes(-1) });
            row.Version++;
            await db.SaveChangesAsync();
        }
        secrets.Add(portal.Services.GetRequiredService<SandboxClient>().ClientSecret);
        secrets.Add(app.ApiKey);

        var executed = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute",
            JsonAssert.Body(new { toolName = "SANDBOX_LIST_MESSAGES", userId = "sam", @params = new { } })));
        Assert.True(executed.GetProperty("successful").GetBoolean(), executed.ToString());
        Assert.Equal(1, driver.Stats.RefreshGrants);
        var refreshed = protector.Unprotect(app.Id, connectionId, await ConnectionBlobAsync(portal, connectionId));
        secrets.Add(refreshed.AccessToken!);
        secrets.Add(refreshed.RefreshToken!);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"v1/{app.Id}/integrations/connections/{connectionId}")).StatusCode);
        await portal.Services.GetRequiredService<RevocationWorker>().RunOnceAsync(CancellationToken.None);
        Assert.True(driver.Stats.Revocations >= 1);

        var all = logs.All;
        Assert.NotEmpty(logs.Lines);
        foreach (var secret in secrets)
        {
            Assert.False(string.IsNullOrEmpty(secret));
            Assert.DoesNotContain(secret, all);
            Assert.DoesNotContain(Uri.EscapeDataString(secret), all);
        }
    }

    private static async Task<string> ConnectionBlobAsync(PortalApplication portal, string connectionId)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.AsNoTracking().SingleAsync(c => c.Id == connectionId)).Credentials;
    }
}
