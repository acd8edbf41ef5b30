using System.Net;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>
/// Issue 13 §9, found with a strict standards server: the refresh margin follows the token's lifetime
/// (min(2 min, lifetime / 4)), a token that cannot be refreshed is used until it really expires, and `iss`
/// (RFC 9207) is checked before an error response is acted on.
/// </summary>
public sealed class RefreshMarginTests : IAsyncLifetime
{
    private const string Slug = "asana";
    private FakeOAuthProvider _oauth = default!;
    private FakeProviderApi _api = default!;
    private PortalApplication _portal = default!;
    private TestApp _app = default!;
    private string Base => $"v1/{_app.Id}/integrations";

    public async Task InitializeAsync()
    {
        _oauth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic, o =>
        {
            o.AccessTokenLifetime = TimeSpan.FromSeconds(60);
            o.Issuer = "https://oauth.strict.example";
        });
        _api = await FakeProviderApi.StartAsync();
        _api.AcceptsToken = _oauth.IsAccessTokenActive;
        _api.On("GET", "/projects", _ => (200, new { data = Array.Empty<object>() }, null));
        _portal = new PortalApplication();
        foreach (var (key, value) in _oauth.SettingsFor(Slug)) _portal.With(key, value);
        _portal.With($"Butterbase:Toolkits:{Slug}:ApiBaseUrl", _api.BaseUrl).With($"Butterbase:Toolkits:{Slug}:Issuer", "https://oauth.strict.example");
        _app = await _portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = Slug })));
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _oauth.DisposeAsync();
        await _api.DisposeAsync();
    }

    private async Task<HttpResponseMessage> ExecuteAsync(string user)
    {
        using var admin = _portal.Http(_app.ApiKey);
        return await admin.PostAsync($"{Base}/execute", JsonAssert.Body(new { toolName = "ASANA_GET_PROJECTS", userId = user, @params = new { } }));
    }

    private async Task<Connection> RowAsync(string connectionId)
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.AsNoTracking().SingleAsync(c => c.Id == connectionId);
    }

    private async Task ChangeCredentialsAsync(string connectionId, Func<StoredCredentials, StoredCredentials> change)
    {
        await using var scope = _portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
        var protector = _portal.Services.GetRequiredService<CredentialProtector>();
        var row = await db.Connections.SingleAsync(c => c.Id == connectionId);
        var changed = change(protector.Unprotect(_app.Id, connectionId, row.Credentials));
        row.Credentials = protector.Protect(_app.Id, connectionId, changed);
        row.ExpiresAt = changed.ExpiresAt;
        row.Version++;
        await db.SaveChangesAsync();
        _portal.Services.GetRequiredService<ConnectionCache>().Invalidate(row.AppId, row.UserId, row.ToolkitSlug);
    }

    [Fact]
    public async Task A_token_that_lives_one_minute_is_not_refreshed_on_every_execute()
    {
        var connectionId = await _portal.ConnectThroughFakeAsync(_app, _oauth, Slug, "brief");
        var before = _oauth.RefreshGrants;
        for (var i = 0; i < 3; i++)
            Assert.True((await JsonAssert.OkAsync(await ExecuteAsync("brief"))).GetProperty("successful").GetBoolean());
        Assert.Equal(before, _oauth.RefreshGrants);
        var margin = TokenRefresher.MarginFor(
            _portal.Services.GetRequiredService<CredentialProtector>().Unprotect(_app.Id, connectionId, (await RowAsync(connectionId)).Credentials));
        Assert.InRange(margin, TimeSpan.FromSeconds(14), TimeSpan.FromSeconds(16)); // a quarter of 60 s
    }

    [Fact]
    public async Task A_short_token_is_refreshed_once_three_quarters_of_its_life_are_gone()
    {
        var connectionId = await _portal.ConnectThroughFakeAsync(_app, _oauth, Slug, "late");
        // Issued 50 s ago, 10 s left of 60: inside the 15-second margin.
        await ChangeCredentialsAsync(connectionId, c => c with { IssuedAt = DateTime.UtcNow.AddSeconds(-50), ExpiresAt = DateTime.UtcNow.AddSeconds(10) });
        var before = _oauth.RefreshGrants;
        Assert.True((await JsonAssert.OkAsync(await ExecuteAsync("late"))).GetProperty("successful").GetBoolean());
        Assert.Equal(before + 1, _oauth.RefreshGrants);
    }

    [Fact]
    public async Task A_token_without_a_refresh_token_is_used_until_it_really_expires()
    {
        _oauth.Options.OmitRefreshToken = true;
        try
        {
            var connectionId = await _portal.ConnectThroughFakeAsync(_app, _oauth, Slug, "norefresh");
            var result = await JsonAssert.OkAsync(await ExecuteAsync("norefresh"));
            Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
            Assert.Equal(ConnectionStatus.Active, (await RowAsync(connectionId)).Status);

            // Really expired now, and nothing to refresh with: the user must reconnect.
            await ChangeCredentialsAsync(connectionId, c => c with { ExpiresAt = DateTime.UtcNow.AddSeconds(-1) });
            await JsonAssert.ErrorAsync(await ExecuteAsync("norefresh"), HttpStatusCode.Conflict, "connection_expired");
            Assert.Equal(ConnectionStatus.Expired, (await RowAsync(connectionId)).Status);
        }
        finally { _oauth.Options.OmitRefreshToken = false; }
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData(null)]
    public async Task An_error_response_with_a_wrong_or_missing_iss_is_a_mix_up_not_the_providers_answer(string? iss)
    {
        using var admin = _portal.Http(_app.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect",
            JsonAssert.Body(new { toolkit = Slug, redirectUrl = "https://app.example.com/back", userId = "mixed" })));
        var state = QueryHelpers.ParseQuery(new Uri(started.GetProperty("authUrl").GetString()!).Query)["state"].ToString();
        var query = new Dictionary<string, string?> { ["state"] = state, ["error"] = "access_denied" };
        if (iss is not null) query["iss"] = iss;
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _portal.Address };
        var done = await browser.GetAsync(QueryHelpers.AddQueryString($"v1/oauth/callback/{Slug}", query));
        Assert.Equal("issuer_mismatch", QueryHelpers.ParseQuery(done.Headers.Location!.Query)["error"].ToString());

        // With the right iss the provider's own error is reported.
        var again = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect",
            JsonAssert.Body(new { toolkit = Slug, redirectUrl = "https://app.example.com/back", userId = "mixed" })));
        var state2 = QueryHelpers.ParseQuery(new Uri(again.GetProperty("authUrl").GetString()!).Query)["state"].ToString();
        var denied = await browser.GetAsync(QueryHelpers.AddQueryString($"v1/oauth/callback/{Slug}",
            new Dictionary<string, string?> { ["state"] = state2, ["error"] = "access_denied", ["iss"] = "https://oauth.strict.example" }));
        Assert.Equal("access_denied", QueryHelpers.ParseQuery(denied.Headers.Location!.Query)["error"].ToString());
    }
}
