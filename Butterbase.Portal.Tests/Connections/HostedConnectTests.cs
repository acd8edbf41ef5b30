using System.Net;
using System.Text.RegularExpressions;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>API-key, basic and custom-field toolkits: `/connect` hands out the hosted page, which stores the connection.</summary>
public sealed partial class HostedConnectTests : IAsyncLifetime
{
    private const string RedirectUrl = "https://app.example.com/settings?tab=integrations";
    private readonly PortalApplication _portal = new();
    private TestApp _app = default!;
    private string Base => $"v1/{_app.Id}/integrations";

    public async Task InitializeAsync()
    {
        _app = await _portal.CreateAppAsync("Acme", "https://app.example.com/settings");
        using var admin = _portal.Http(_app.ApiKey);
        foreach (var toolkit in new[] { "sendgrid", "twilio", "mailchimp" })
            await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(toolkit == "mailchimp" ? new { toolkit, authScheme = "basic" } : (object)new { toolkit })));
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private async Task<(string AuthUrl, string RequestId)> StartAsync(string toolkit, string user = "u_1")
    {
        using var admin = _portal.Http(_app.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit, redirectUrl = RedirectUrl, userId = user })));
        return (started.GetProperty("authUrl").GetString()!, started.GetProperty("connectionRequestId").GetString()!);
    }

    private async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string authUrl, Dictionary<string, string> fields)
    {
        var page = await browser.GetStringAsync(authUrl);
        var form = new Dictionary<string, string>(fields)
        {
            ["_handler"] = "hosted-connect",
            ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value,
        };
        return await browser.PostAsync(authUrl, new FormUrlEncodedContent(form));
    }

    private HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = _portal.Address };

    [Fact]
    public async Task An_api_key_toolkit_is_connected_on_the_hosted_page_and_lands_back_connected()
    {
        var (authUrl, requestId) = await StartAsync("sendgrid");
        Assert.Equal(new Uri(_portal.Address, $"/connect/{requestId}"), new Uri(authUrl));
        using var browser = Browser();
        var page = await browser.GetStringAsync(authUrl);
        Assert.Contains("Acme", page);
        var sendgrid = _portal.Services.GetRequiredService<Butterbase.Portal.Catalog.ToolkitCatalog>().Find("sendgrid")!;
        Assert.Contains(System.Net.WebUtility.HtmlEncode(sendgrid.Name) + " API key", page);
        Assert.Contains("type=\"password\"", page);

        var response = await SubmitAsync(browser, authUrl, new() { ["action"] = "connect", ["api_key"] = "SG.secret-value-1234" });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith("https://app.example.com/settings?", location.ToString());
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("integrations", query["tab"]);
        Assert.Equal("connected", query["status"]);
        Assert.Equal("sendgrid", query["toolkit"]);
        var connectionId = query["connectionId"].ToString();
        Assert.DoesNotContain("SG.secret", location.ToString());

        using var admin = _portal.Http(_app.ApiKey);
        var status = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connection-requests/{requestId}"));
        Assert.Equal("connected", status.GetProperty("status").GetString());
        Assert.Equal(connectionId, status.GetProperty("connectionId").GetString());
        var row = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections/{connectionId}"));
        Assert.Equal("u_1", row.GetProperty("user_id").GetString());
        Assert.Equal("active", row.GetProperty("status").GetString());
        Assert.Equal("sendgrid", row.GetProperty("toolkit_slug").GetString());
        Assert.DoesNotContain("SG.secret", row.GetRawText());

        await using var scope = _portal.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.SingleAsync(c => c.Id == connectionId);
        var credentials = _portal.Services.GetRequiredService<CredentialProtector>().Unprotect(_app.Id, connectionId, stored.Credentials);
        Assert.Equal("SG.secret-value-1234", credentials.ApiKey);
        Assert.DoesNotContain("SG.secret", stored.Credentials);

        // Single use: the page is gone once used.
        using var used = await browser.GetAsync(authUrl);
        Assert.Equal(System.Net.HttpStatusCode.Gone, used.StatusCode);
        Assert.Contains("This link has expired", await used.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Missing_or_unsafe_values_are_explained_on_the_page_and_nothing_is_stored()
    {
        var (authUrl, _) = await StartAsync("mailchimp");
        using var browser = Browser();
        var response = await SubmitAsync(browser, authUrl, new() { ["action"] = "connect", ["username"] = "", ["password"] = "p", ["field.dc"] = "us6.evil.com/steal?x=" });
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode); // the form again, with the problems
        Assert.Contains("Enter the user name.", html);
        Assert.Contains("letters, digits, dots and dashes only", html);
        await using var scope = _portal.Services.CreateAsyncScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.CountAsync());
    }

    [Fact]
    public async Task Cancel_lands_back_failed_with_access_denied()
    {
        var (authUrl, requestId) = await StartAsync("twilio");
        using var browser = Browser();
        var response = await SubmitAsync(browser, authUrl, new() { ["action"] = "cancel" });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("failed", query["status"]);
        Assert.Equal("access_denied", query["error"]);
        using var admin = _portal.Http(_app.ApiKey);
        Assert.Equal("failed", (await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connection-requests/{requestId}"))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Users_see_and_delete_only_their_own_connections()
    {
        using var browser = Browser();
        var (a, _) = await StartAsync("sendgrid", "alice");
        await SubmitAsync(browser, a, new() { ["action"] = "connect", ["api_key"] = "SG.alice-key-0001" });
        var (b, _) = await StartAsync("sendgrid", "bob");
        await SubmitAsync(browser, b, new() { ["action"] = "connect", ["api_key"] = "SG.bob-key-0002" });

        using var alice = _portal.Http(await _portal.UserTokenAsync(_app, "alice"));
        var mine = await JsonAssert.OkAsync(await alice.GetAsync($"{Base}/connections"));
        Assert.Equal(1, mine.GetProperty("total").GetInt32());
        Assert.Equal("alice", mine.GetProperty("items")[0].GetProperty("user_id").GetString());
        await JsonAssert.ErrorAsync(await alice.GetAsync($"{Base}/connections?userId=bob"), HttpStatusCode.Forbidden, "forbidden");

        using var admin = _portal.Http(_app.ApiKey);
        var all = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections"));
        Assert.Equal(2, all.GetProperty("total").GetInt32());
        var bobs = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections?userId=bob"));
        var bobConnection = bobs.GetProperty("items")[0].GetProperty("id").GetString();

        // Alice cannot see or delete Bob's connection: 404, never revealed.
        await JsonAssert.ErrorAsync(await alice.GetAsync($"{Base}/connections/{bobConnection}"), HttpStatusCode.NotFound, "not_found");
        await JsonAssert.ErrorAsync(await alice.DeleteAsync($"{Base}/connections/{bobConnection}"), HttpStatusCode.NotFound, "not_found");
        // Another app's key cannot either.
        var other = await _portal.CreateAppAsync("Other");
        using var otherKey = _portal.Http(other.ApiKey);
        await JsonAssert.ErrorAsync(await otherKey.DeleteAsync($"{Base}/connections/{bobConnection}"), HttpStatusCode.Forbidden, "forbidden");
        await JsonAssert.ErrorAsync(await otherKey.GetAsync($"v1/{other.Id}/integrations/connections/{bobConnection}"), HttpStatusCode.NotFound, "not_found");

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Base}/connections/{bobConnection}")).StatusCode);
        Assert.Equal(1, (await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections"))).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Connect_refuses_what_it_must_and_stores_no_request()
    {
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.ErrorAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = "gmail", redirectUrl = RedirectUrl, userId = "u" })), HttpStatusCode.Conflict, "toolkit_not_enabled");
        await admin.DeleteAsync($"{Base}/configure/twilio");
        await JsonAssert.ErrorAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = "twilio", redirectUrl = RedirectUrl, userId = "u" })), HttpStatusCode.Conflict, "toolkit_disabled");
        await JsonAssert.ErrorAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = "nope", redirectUrl = RedirectUrl, userId = "u" })), HttpStatusCode.NotFound, "unknown_toolkit");
        foreach (var evil in new[] { "https://app.example.com.evil.com/settings", "https://app.example.com@evil.com/settings", "//evil.com", "javascript:alert(1)", "https://app.example.com/other" })
            await JsonAssert.ErrorAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = "sendgrid", redirectUrl = evil, userId = "u" })), HttpStatusCode.BadRequest, "redirect_url_not_allowed");
        var noUser = await JsonAssert.ErrorAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = "sendgrid", redirectUrl = RedirectUrl })), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal("userId", noUser.GetProperty("details")[0].GetProperty("field").GetString());

        using var alice = _portal.Http(await _portal.UserTokenAsync(_app, "alice"));
        await JsonAssert.ErrorAsync(await alice.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = "sendgrid", redirectUrl = RedirectUrl, userId = "bob" })), HttpStatusCode.Forbidden, "forbidden");

        await using var scope = _portal.Services.CreateAsyncScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<PortalDb>().ConnectionRequests.CountAsync());
    }

    [Fact]
    public async Task Pending_requests_stay_bounded_however_often_connect_is_called()
    {
        // The app's backend (API key) is not held to the per-user connect rate, so it can hammer one user.
        using var admin = _portal.Http(_app.ApiKey);
        for (var i = 0; i < 300; i++)
            await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = "sendgrid", redirectUrl = RedirectUrl, userId = "alice" })));
        await using var scope = _portal.Services.CreateAsyncScope();
        Assert.Equal(ConnectFlow.MaxPendingPerUser, await scope.ServiceProvider.GetRequiredService<PortalDb>().ConnectionRequests.CountAsync());
    }
}
