using System.Net;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Sandbox;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>
/// The pages an end user sees when connecting ends (docs/security.md "Hosted end pages"): the portal's look, plain words and a
/// next step, the security headers, nothing an attacker wrote shown as HTML, and the app's own redirect kept.
/// </summary>
public sealed class HostedPagesTests : IAsyncLifetime
{
    private const string Script = "<script>alert('owned')</script>";
    private readonly PortalApplication _portal = new PortalApplication().With("Butterbase:Sandbox:Enabled", "true");
    private TestApp _app = default!;

    public async Task InitializeAsync()
    {
        _app = await _portal.CreateAppAsync("Acme", "https://app.example.com/back");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "sandbox" })));
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private static void AssertHostedHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(response.Headers.CacheControl?.NoStore, "Cache-Control: no-store");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    private static void AssertBranded(string html)
    {
        Assert.Contains("Butterbase Integrations", html); // the hosted connect page's card and brand
        Assert.Contains("account-card", html);
        Assert.Contains("<main", html);
        Assert.Contains("What to do next", html);
    }

    private async Task<int> ConnectionsAsync()
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.CountAsync();
    }

    /// <summary>The browser's way to the callback after the user pressed Deny at the Sandbox, with the provider's error_description replaced.</summary>
    private static async Task<string> DenyAsync(SandboxDriver driver, string authorizeUrl, string description)
    {
        var form = await driver.ConsentPageAsync(authorizeUrl);
        var toCallback = await driver.SubmitAsync(form, "deny");
        Assert.Equal(HttpStatusCode.Redirect, toCallback.StatusCode);
        var callback = toCallback.Headers.Location!;
        var query = QueryHelpers.ParseQuery(callback.Query).ToDictionary(p => p.Key, p => (string?)p.Value.ToString());
        Assert.Equal("access_denied", query["error"]);
        query["error_description"] = description;
        return QueryHelpers.AddQueryString(callback.GetLeftPart(UriPartial.Path), query);
    }

    [Fact]
    public async Task A_callback_with_an_unknown_state_is_a_branded_400_page_that_says_what_to_do_and_shows_nothing_from_the_request()
    {
        using var driver = new SandboxDriver(_portal);
        var response = await driver.GetAsync("/v1/oauth/callback/sandbox?state=" + Uri.EscapeDataString(Script + "state-value-abc")
            + "&error=access_denied&error_description=" + Uri.EscapeDataString(Script + " Call support at +1 555 0100"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertHostedHeaders(response);
        Assert.Null(response.Headers.Location); // no bounce anywhere
        var html = await response.Content.ReadAsStringAsync();
        AssertBranded(html);
        Assert.Contains("This link has expired", html);
        Assert.Contains("start connecting again", html);
        Assert.Contains("invalid, expired or was already used", html);
        // An attacker writes this whole URL: neither the state nor the "provider's" words reach the page, encoded or not.
        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("owned", html);
        Assert.DoesNotContain("state-value-abc", html);
        Assert.DoesNotContain("555 0100", html);
    }

    [Fact]
    public async Task A_declined_connect_link_ends_on_the_done_page_in_plain_words_with_the_providers_words_encoded_and_cut()
    {
        var link = _portal.Services.GetRequiredService<ConnectLinks>().Create(_app.Id, "alice", "sandbox");
        using var driver = new SandboxDriver(_portal);
        var toProvider = await driver.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, toProvider.StatusCode);
        var authorize = toProvider.Headers.Location!.ToString();
        var state = QueryHelpers.ParseQuery(new Uri(new Uri(driver.Origin), authorize).Query)["state"].ToString();
        var callback = await DenyAsync(driver, authorize, Script + " Your admin blocked this app. " + new string('x', 2000));

        var toDone = await driver.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, toDone.StatusCode);
        var done = toDone.Headers.Location!.ToString();
        Assert.StartsWith(driver.Origin + ConnectLinks.DonePath + "?status=failed", done);
        Assert.Contains("error=access_denied", done);
        Assert.DoesNotContain("alert", done); // sealed, not carried in the clear

        var page = await driver.GetAsync(done);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        AssertHostedHeaders(page);
        var html = await page.Content.ReadAsStringAsync();
        AssertBranded(html);
        Assert.Contains("You declined the request to Sandbox, so nothing was connected", html);
        Assert.Contains("Sandbox said:", html);
        Assert.Contains("&lt;script&gt;alert(", html); // shown as text
        Assert.DoesNotContain("<script>alert", html);
        Assert.Contains("Your admin blocked this app.", html);
        Assert.DoesNotContain(new string('x', ConnectLinks.MaxDetailLength), html); // cut to length
        Assert.DoesNotContain(state, html);
        Assert.Equal(0, await ConnectionsAsync());

        // The same address with the words swapped for a crafted text shows no "provider said" at all.
        var forged = QueryHelpers.AddQueryString(driver.Origin + ConnectLinks.DonePath,
            new Dictionary<string, string?> { ["status"] = "failed", ["toolkit"] = "sandbox", ["error"] = "access_denied", ["detail"] = "Call support at +1 555 0100" });
        var forgedHtml = await (await driver.GetAsync(forged)).Content.ReadAsStringAsync();
        Assert.Contains("You declined the request", forgedHtml);
        Assert.DoesNotContain("555 0100", forgedHtml);
        Assert.DoesNotContain("said:", forgedHtml);
    }

    [Fact]
    public async Task An_expired_or_forged_connect_link_says_so_and_what_to_do_next()
    {
        using var driver = new SandboxDriver(_portal);
        var start = await driver.GetAsync(ConnectLinks.StartPath + "?t=" + Uri.EscapeDataString(Script));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var page = await driver.GetAsync(start.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        AssertHostedHeaders(page);
        var html = await page.Content.ReadAsStringAsync();
        AssertBranded(html);
        Assert.Contains("This link has expired", html);
        Assert.Contains("ask it for a new connect link", html);
        Assert.DoesNotContain("<script>alert", html);
    }

    [Fact]
    public async Task A_used_or_unknown_hosted_connect_page_is_410_gone_in_the_hosted_look()
    {
        using var driver = new SandboxDriver(_portal);
        var page = await driver.GetAsync("/connect/ca_" + Uri.EscapeDataString(Script));
        Assert.Equal(HttpStatusCode.Gone, page.StatusCode);
        AssertHostedHeaders(page);
        var html = await page.Content.ReadAsStringAsync();
        AssertBranded(html);
        Assert.Contains("This link has expired", html);
        Assert.DoesNotContain("<script>alert", html);
    }

    [Fact]
    public async Task An_apps_own_redirect_url_still_gets_the_result_code_and_never_the_providers_words()
    {
        using var admin = _portal.Http(_app.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/connect",
            JsonAssert.Body(new { toolkit = "sandbox", redirectUrl = "https://app.example.com/back", userId = "bob" })));
        using var driver = new SandboxDriver(_portal);
        var callback = await DenyAsync(driver, started.GetProperty("authUrl").GetString()!, Script);

        var back = await driver.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        var location = back.Headers.Location!.ToString();
        Assert.StartsWith("https://app.example.com/back?status=failed&toolkit=sandbox&error=access_denied", location);
        Assert.DoesNotContain("detail", location);
        Assert.DoesNotContain("script", location);
    }
}
