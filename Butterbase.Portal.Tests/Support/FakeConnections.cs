using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Support;

/// <summary>Connecting end users through a <see cref="FakeOAuthProvider"/>, and aging their tokens: what the execute tests share.</summary>
public static class FakeConnections
{
    public const string ReturnUrl = "https://app.example.com/back";

    /// <summary>
    /// Runs the OAuth dance against the fake (a browser that follows no redirects) and answers the connection id.
    /// With <paramref name="callbackOn"/>, the provider's redirect is delivered to that other instance, as a load balancer might.
    /// </summary>
    public static async Task<string> ConnectThroughFakeAsync(this PortalApplication portal, TestApp app, FakeOAuthProvider oauth, string slug, string user,
        PortalApplication? callbackOn = null)
    {
        oauth.NextAccount(user + "@example.com");
        using var admin = portal.Http(app.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/connect",
            JsonAssert.Body(new { toolkit = slug, redirectUrl = ReturnUrl, userId = user })));
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var toCallback = (await browser.GetAsync(started.GetProperty("authUrl").GetString())).Headers.Location!;
        if (callbackOn is not null)
        {
            Assert.Equal(portal.Address.Authority, toCallback.Authority);
            toCallback = new Uri(callbackOn.Address, toCallback.PathAndQuery);
        }
        var done = await browser.GetAsync(toCallback);
        var query = QueryHelpers.ParseQuery(done.Headers.Location!.Query);
        Assert.True(query["status"] == "connected", $"connecting {slug} failed: {done.Headers.Location}");
        return query["connectionId"].ToString();
    }

    /// <summary>A connection's credentials as stored (decrypted).</summary>
    public static async Task<StoredCredentials> StoredCredentialsAsync(this PortalApplication portal, string appId, string connectionId)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.AsNoTracking().SingleAsync(c => c.Id == connectionId);
        return portal.Services.GetRequiredService<CredentialProtector>().Unprotect(appId, connectionId, row.Credentials);
    }

    /// <summary>The access token dies at the provider and the stored copy says it has expired.</summary>
    public static async Task ExpireStoredTokenAsync(this PortalApplication portal, FakeOAuthProvider oauth, string appId, string connectionId)
    {
        var protector = portal.Services.GetRequiredService<CredentialProtector>();
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
        var row = await db.Connections.SingleAsync(c => c.Id == connectionId);
        var credentials = protector.Unprotect(appId, connectionId, row.Credentials);
        oauth.ExpireAccessToken(credentials.AccessToken!);
        row.Credentials = protector.Protect(appId, connectionId, credentials with { ExpiresAt = DateTime.UtcNow.AddMinutes(-1) });
        row.ExpiresAt = DateTime.UtcNow.AddMinutes(-1);
        await db.SaveChangesAsync();
    }
}
