using System.Net;
using System.Text;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>
/// The whole OAuth 2.0 connect flow over real HTTP against stand-ins that reproduce each curated provider's
/// token-endpoint quirks, and a generated toolkit. docs/security.md [1]–[8], [10], [15], [23], [26].
/// </summary>
public sealed class OAuthConnectTests(OAuthConnectTests.Fixture fx) : IClassFixture<OAuthConnectTests.Fixture>
{
    public const string RedirectUrl = "https://app.example.com/settings?tab=integrations";

    public sealed class Fixture : IAsyncLifetime
    {
        public static readonly (FakeProviderStyle Style, string Slug)[] Providers =
        [
            (FakeProviderStyle.Google, "gmail"), (FakeProviderStyle.Slack, "slack"), (FakeProviderStyle.Notion, "notion"),
            (FakeProviderStyle.GitHub, "github"), (FakeProviderStyle.Microsoft, "outlook"), (FakeProviderStyle.HubSpot, "hubspot"),
            (FakeProviderStyle.Discord, "discord"), (FakeProviderStyle.Generic, "asana"),
            (FakeProviderStyle.Zendesk, "zendesk"), (FakeProviderStyle.Airtable, "airtable"), (FakeProviderStyle.Calendly, "calendly"),
            (FakeProviderStyle.Pipedrive, "pipedrive"), (FakeProviderStyle.Intercom, "intercom"), (FakeProviderStyle.Monday, "monday"),
        ];
        public Dictionary<string, FakeOAuthProvider> Fakes { get; } = [];
        public PortalApplication Portal { get; private set; } = default!;
        public CapturingLoggerProvider Logs { get; } = new();
        public TestApp App { get; private set; } = default!;

        public async Task InitializeAsync()
        {
            Portal = new PortalApplication().WithServices(s => s.AddSingleton<ILoggerProvider>(Logs));
            foreach (var (style, slug) in Providers)
            {
                var fake = await FakeOAuthProvider.StartAsync(style, o => { o.ClientId = slug + "-client"; o.ClientSecret = slug + "-secret-value"; });
                Fakes[slug] = fake;
                foreach (var (key, value) in fake.SettingsFor(slug)) Portal.With(key, value);
            }
            App = await Portal.CreateAppAsync("Acme", "https://app.example.com/settings");
            using var admin = Portal.Http(App.ApiKey);
            foreach (var (_, slug) in Providers)
                await JsonAssert.OkAsync(await admin.PostAsync($"v1/{App.Id}/integrations/configure", JsonAssert.Body(new { toolkit = slug })));
        }

        public async Task DisposeAsync()
        {
            await Portal.DisposeAsync();
            foreach (var fake in Fakes.Values) await fake.DisposeAsync();
        }
    }

    private string Base => $"v1/{fx.App.Id}/integrations";
    private static HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false });

    private async Task<(string AuthUrl, string RequestId)> StartAsync(string slug, string user, string? reconnect = null)
    {
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect",
            JsonAssert.Body(new { toolkit = slug, redirectUrl = RedirectUrl, userId = user, connectionId = reconnect })));
        return (started.GetProperty("authUrl").GetString()!, started.GetProperty("connectionRequestId").GetString()!);
    }

    /// <summary>The provider's authorize step: the fake redirects straight to the portal's callback.</summary>
    private static async Task<Uri> AuthorizeAsync(string authUrl)
    {
        using var browser = Browser();
        var response = await browser.GetAsync(authUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    private static async Task<HttpResponseMessage> CallbackAsync(Uri callback)
    {
        using var browser = Browser();
        return await browser.GetAsync(callback);
    }

    private async Task<(Dictionary<string, Microsoft.Extensions.Primitives.StringValues> Query, HttpResponseMessage Response)> ConnectAsync(string slug, string user, string account)
    {
        fx.Fakes[slug].NextAccount(account);
        var (authUrl, _) = await StartAsync(slug, user);
        var response = await CallbackAsync(await AuthorizeAsync(authUrl));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return (QueryHelpers.ParseQuery(response.Headers.Location!.Query), response);
    }

    private async Task<int> CountAsync<T>(Func<PortalDb, IQueryable<T>> set)
    {
        await using var scope = fx.Portal.Services.CreateAsyncScope();
        return await set(scope.ServiceProvider.GetRequiredService<PortalDb>()).CountAsync();
    }

    public static TheoryData<string> Slugs => new(Fixture.Providers.Select(p => p.Slug));

    [Theory, MemberData(nameof(Slugs))]
    public async Task The_full_flow_connects_the_account_with_the_providers_quirks(string slug)
    {
        var fake = fx.Fakes[slug];
        var user = "flow-" + slug;
        var email = $"alice.{slug}@example.com";
        fake.NextAccount(email);
        var (authUrl, requestId) = await StartAsync(slug, user);

        var authorize = new Uri(authUrl);
        Assert.StartsWith(fake.AuthorizeUrl, authUrl);
        var query = QueryHelpers.ParseQuery(authorize.Query);
        var callbackUri = $"{fx.Portal.Address.ToString().TrimEnd('/')}/v1/oauth/callback/{slug}";
        Assert.Equal(callbackUri, query["redirect_uri"]);
        Assert.Equal("code", query["response_type"]);
        Assert.True(query["state"].ToString().Length >= 43, "state carries at least 256 bits");
        var toolkit = fx.Portal.Services.GetRequiredService<Butterbase.Portal.Catalog.ToolkitCatalog>().Find(slug)!;
        var scheme = toolkit.Auth.First(a => a.Type == "oauth2");
        if (scheme.Pkce)
        {
            Assert.Equal("S256", query["code_challenge_method"]);
            Assert.Equal(43, query["code_challenge"].ToString().Length);
        }
        else Assert.False(query.ContainsKey("code_challenge"));
        foreach (var (key, value) in scheme.AuthorizeParams ?? []) Assert.Equal(value, query[key]);

        var callback = await AuthorizeAsync(authUrl);
        var response = await CallbackAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var final = response.Headers.Location!;
        Assert.StartsWith("https://app.example.com/settings?", final.ToString());
        var result = QueryHelpers.ParseQuery(final.Query);
        Assert.Equal("integrations", result["tab"]);
        Assert.Equal("connected", result["status"]);
        Assert.Equal(slug, result["toolkit"]);
        Assert.DoesNotContain("code=", final.Query);
        Assert.DoesNotContain("token", final.Query);

        // What the provider saw at its token endpoint: the same redirect_uri, the verifier matching the challenge, the right client auth.
        var exchange = fake.TokenRequests.Last(t => t.GrantType == "authorization_code");
        Assert.True(exchange.Succeeded, $"token exchange failed: {exchange.Error}");
        Assert.Equal(callbackUri, exchange.RedirectUri);
        if (scheme.Pkce) Assert.Equal(query["code_challenge"].ToString(), OAuthClient.CodeChallenge(exchange.CodeVerifier!));
        Assert.Equal(scheme.ClientAuth == "basic" ? ClientAuthMethod.Basic : ClientAuthMethod.Body, exchange.ClientAuth);

        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var connection = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connections/{result["connectionId"]}"));
        Assert.Equal(user, connection.GetProperty("user_id").GetString());
        Assert.Equal("active", connection.GetProperty("status").GetString());
        var label = connection.GetProperty("account_label").GetString();
        Assert.False(string.IsNullOrEmpty(label));
        // Slack and Notion name the workspace; Discord shows the username (email needs the `email` scope).
        if (slug is "discord") Assert.Equal(email.Split('@')[0], label);
        else if (slug is not ("slack" or "notion")) Assert.Equal(email, label);
        var status = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connection-requests/{requestId}"));
        Assert.Equal("connected", status.GetProperty("status").GetString());

        // The stored credentials decrypt to the provider's token, which works at its API.
        await using var scope = fx.Portal.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.SingleAsync(c => c.Id == result["connectionId"].ToString());
        var credentials = fx.Portal.Services.GetRequiredService<CredentialProtector>().Unprotect(fx.App.Id, row.Id, row.Credentials);
        Assert.Equal(email, fake.AccountOf(credentials.AccessToken!));
        Assert.DoesNotContain(credentials.AccessToken!, row.Credentials);
    }

    [Fact]
    public async Task A_replayed_state_is_a_400_page_and_the_token_endpoint_is_not_called_again()
    {
        var fake = fx.Fakes["gmail"];
        var (authUrl, _) = await StartAsync("gmail", "replay");
        var callback = await AuthorizeAsync(authUrl);
        Assert.Equal(HttpStatusCode.Redirect, (await CallbackAsync(callback)).StatusCode);
        var tokenCalls = fake.TokenRequests.Count;
        var connections = await CountAsync(db => db.Connections);

        var replay = await CallbackAsync(callback);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Contains("invalid, expired or was already used", await replay.Content.ReadAsStringAsync());
        Assert.Equal(tokenCalls, fake.TokenRequests.Count);
        Assert.Equal(connections, await CountAsync(db => db.Connections));
    }

    [Theory]
    [InlineData("?code=abc&state=unknown-state-value-that-was-never-issued-0000000")]
    [InlineData("?code=abc")]
    [InlineData("?state=")]
    [InlineData("")]
    public async Task Unknown_or_missing_state_is_a_400_page_that_stores_nothing(string query)
    {
        var tokenCalls = fx.Fakes["gmail"].TokenRequests.Count;
        var connections = await CountAsync(db => db.Connections);
        using var browser = Browser();
        var response = await browser.GetAsync(new Uri(fx.Portal.Address, "/v1/oauth/callback/gmail" + query));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Null(response.Headers.Location);
        Assert.Equal(tokenCalls, fx.Fakes["gmail"].TokenRequests.Count);
        Assert.Equal(connections, await CountAsync(db => db.Connections));
    }

    [Fact]
    public async Task Two_concurrent_callbacks_with_one_state_make_one_exchange_and_one_connection()
    {
        var fake = fx.Fakes["asana"];
        var (authUrl, _) = await StartAsync("asana", "race");
        var callback = await AuthorizeAsync(authUrl);
        var before = fake.TokenRequests.Count(t => t.GrantType == "authorization_code");
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => CallbackAsync(callback)));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Redirect);
        Assert.Equal(49, responses.Count(r => r.StatusCode == HttpStatusCode.BadRequest));
        Assert.Equal(before + 1, fake.TokenRequests.Count(t => t.GrantType == "authorization_code"));
        await using var scope = fx.Portal.Services.CreateAsyncScope();
        Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.CountAsync(c => c.UserId == "race"));
    }

    [Fact]
    public async Task State_for_one_toolkit_on_another_toolkits_callback_is_rejected_without_a_token_call()
    {
        var (authUrl, _) = await StartAsync("gmail", "mixup");
        var callback = await AuthorizeAsync(authUrl);
        var onOther = new Uri(callback.ToString().Replace("/v1/oauth/callback/gmail", "/v1/oauth/callback/slack"));
        var googleCalls = fx.Fakes["gmail"].TokenRequests.Count;
        var slackCalls = fx.Fakes["slack"].TokenRequests.Count;
        var response = await CallbackAsync(onOther);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var result = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("failed", result["status"]);
        Assert.Equal("toolkit_mismatch", result["error"]);
        Assert.Equal(googleCalls, fx.Fakes["gmail"].TokenRequests.Count);
        Assert.Equal(slackCalls, fx.Fakes["slack"].TokenRequests.Count);
        Assert.Equal(0, await CountAsync(db => db.Connections.Where(c => c.UserId == "mixup")));
    }

    [Fact]
    public async Task A_code_from_one_flow_with_another_flows_state_creates_nothing()
    {
        var (authX, _) = await StartAsync("asana", "victim");
        var codeX = QueryHelpers.ParseQuery((await AuthorizeAsync(authX)).Query)["code"].ToString();
        var (authY, _) = await StartAsync("asana", "attacker");
        var callbackY = await AuthorizeAsync(authY);
        var injected = QueryHelpers.AddQueryString($"{fx.Portal.Address}v1/oauth/callback/asana",
            new Dictionary<string, string?> { ["code"] = codeX, ["state"] = QueryHelpers.ParseQuery(callbackY.Query)["state"] });
        var response = await CallbackAsync(new Uri(injected));
        var result = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("failed", result["status"]);
        Assert.Equal(0, await CountAsync(db => db.Connections.Where(c => c.UserId == "victim" || c.UserId == "attacker")));
    }

    [Fact]
    public async Task Access_denied_consumes_the_state_and_stores_nothing()
    {
        fx.Fakes["gmail"].DenyNext();
        var (authUrl, requestId) = await StartAsync("gmail", "denied");
        var callback = await AuthorizeAsync(authUrl);
        var response = await CallbackAsync(callback);
        var final = response.Headers.Location!;
        var result = QueryHelpers.ParseQuery(final.Query);
        Assert.Equal("failed", result["status"]);
        Assert.Equal("access_denied", result["error"]);
        Assert.DoesNotContain("<script>", Uri.UnescapeDataString(final.ToString()));
        Assert.Equal(HttpStatusCode.BadRequest, (await CallbackAsync(callback)).StatusCode);
        Assert.Equal(0, await CountAsync(db => db.Connections.Where(c => c.UserId == "denied")));
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var status = await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/connection-requests/{requestId}"));
        Assert.Equal("failed", status.GetProperty("status").GetString());
        Assert.Equal("access_denied", status.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_same_account_reconnecting_updates_one_connection_and_users_never_share_one()
    {
        var first = (await ConnectAsync("github", "carol", "carol@example.com")).Query["connectionId"].ToString();
        var again = (await ConnectAsync("github", "carol", "carol@example.com")).Query["connectionId"].ToString();
        Assert.Equal(first, again);
        var second = (await ConnectAsync("github", "carol", "carol.work@example.com")).Query["connectionId"].ToString();
        Assert.NotEqual(first, second);
        var otherUser = (await ConnectAsync("github", "dave", "carol@example.com")).Query["connectionId"].ToString();
        Assert.NotEqual(first, otherUser);
        Assert.Equal(2, await CountAsync(db => db.Connections.Where(c => c.UserId == "carol" && c.ToolkitSlug == "github")));

        // Reconnect by id keeps the id (the user's link after an expiry).
        var (authUrl, _) = await StartAsync("github", "carol", reconnect: second);
        fx.Fakes["github"].NextAccount("carol.work@example.com");
        var response = await CallbackAsync(await AuthorizeAsync(authUrl));
        Assert.Equal(second, QueryHelpers.ParseQuery(response.Headers.Location!.Query)["connectionId"]);
    }

    [Fact]
    public async Task Delete_revokes_at_the_provider_and_removes_the_credentials()
    {
        var fake = fx.Fakes["gmail"];
        var id = (await ConnectAsync("gmail", "erin", "erin@example.com")).Query["connectionId"].ToString();
        string accessToken;
        await using (var scope = fx.Portal.Services.CreateAsyncScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.SingleAsync(c => c.Id == id);
            accessToken = fx.Portal.Services.GetRequiredService<CredentialProtector>().Unprotect(fx.App.Id, id, row.Credentials).AccessToken!;
        }
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Base}/connections/{id}")).StatusCode);
        Assert.Equal(0, await CountAsync(db => db.Connections.Where(c => c.Id == id)));
        await fx.Portal.Services.GetRequiredService<RevocationWorker>().RunOnceAsync(CancellationToken.None);
        Assert.False(fake.IsAccessTokenActive(accessToken));
        Assert.Equal(0, await CountAsync(db => db.RevocationJobs));
    }

    [Fact]
    public async Task Nothing_secret_reaches_the_logs_or_the_database_in_clear()
    {
        foreach (var (_, slug) in Fixture.Providers) await ConnectAsync(slug, "logs-" + slug, $"logs.{slug}@example.com");
        var logs = fx.Logs.All;
        var dump = await fx.Portal.DumpDatabaseAsync();
        await using var scope = fx.Portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
        foreach (var (_, slug) in Fixture.Providers)
        {
            var fake = fx.Fakes[slug];
            var secrets = fake.TokenRequests.SelectMany(t => new[] { t.Code, t.CodeVerifier, t.RefreshToken })
                .Concat(fake.AuthorizeRequests.Select(a => a.State))
                .Concat([fake.ClientSecret, fx.App.ApiKey])
                .Where(s => s is { Length: > 8 }).ToList();
            foreach (var connection in db.Connections.Where(c => c.ToolkitSlug == slug).ToList())
            {
                var credentials = fx.Portal.Services.GetRequiredService<CredentialProtector>().Unprotect(connection.AppId, connection.Id, connection.Credentials);
                secrets.AddRange(new[] { credentials.AccessToken, credentials.RefreshToken }.Where(s => s is not null)!);
            }
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret!, logs);
                Assert.DoesNotContain(secret!, dump);
            }
        }
    }
}
