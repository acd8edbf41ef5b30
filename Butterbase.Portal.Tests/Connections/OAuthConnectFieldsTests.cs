using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Connections.Quirks;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>
/// OAuth toolkits whose addresses need a per-account value (Zendesk's `{subdomain}`, Shopify's `{shop}`): `POST /connect`
/// takes `fields`, checked like the hosted page's, or the hosted page asks for them before the provider is reached; they
/// fill the authorize, token, identity and API addresses of that connection (refresh included). The stand-ins keep the
/// placeholder in the operator's URL overrides as an `/accounts/{label}` prefix (loopback has no subdomains).
/// Pipedrive's company host comes from its token answer (`pipedrive_api_domain`). docs/security.md [32], [35].
/// </summary>
public sealed partial class OAuthConnectFieldsTests(OAuthConnectFieldsTests.Fixture fx) : IClassFixture<OAuthConnectFieldsTests.Fixture>
{
    public const string RedirectUrl = "https://app.example.com/settings";

    public sealed class Fixture : IAsyncLifetime
    {
        public FakeOAuthProvider Zendesk { get; private set; } = default!;
        public FakeOAuthProvider Shopify { get; private set; } = default!;
        public FakeOAuthProvider Pipedrive { get; private set; } = default!;
        public FakeProviderApi Api { get; private set; } = default!;
        public PortalApplication Portal { get; private set; } = default!;
        public TestApp App { get; private set; } = default!;

        public async Task InitializeAsync()
        {
            Zendesk = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Zendesk, o => { o.ClientId = "zd-client"; o.ClientSecret = "zd-secret-value"; });
            Shopify = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic, o => { o.ClientId = "shop-client"; o.ClientSecret = "shop-secret-value"; });
            Pipedrive = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Pipedrive, o => { o.ClientId = "pd-client"; o.ClientSecret = "pd-secret-value"; });
            Api = await FakeProviderApi.StartAsync();
            Portal = new PortalApplication();
            // Overrides that keep the placeholder: what an operator pointing the toolkit at a stand-in writes.
            static string Under(FakeOAuthProvider fake, string url, string placeholder) => url.Replace(fake.BaseUrl, fake.BaseUrl + "/accounts/" + placeholder);
            foreach (var (key, value) in Zendesk.SettingsFor("zendesk"))
                Portal.With(key, key.EndsWith("Url") ? Under(Zendesk, value!, "{subdomain}") : value);
            Portal.With("Butterbase:Toolkits:zendesk:ApiBaseUrl", Api.BaseUrl + "/accounts/{subdomain}/api/v2");
            Portal.With("Butterbase:Toolkits:shopify:AuthorizationUrl", Under(Shopify, Shopify.AuthorizeUrl, "{shop}"))
                .With("Butterbase:Toolkits:shopify:TokenUrl", Under(Shopify, Shopify.TokenUrl, "{shop}"))
                .With("Butterbase:Toolkits:shopify:ClientId", Shopify.ClientId).With("Butterbase:Toolkits:shopify:ClientSecret", Shopify.ClientSecret)
                .With("Butterbase:Toolkits:shopify:ApiBaseUrl", Api.BaseUrl + "/accounts/{shop}/admin/api/2025-01");
            foreach (var (key, value) in Pipedrive.SettingsFor("pipedrive")) Portal.With(key, value);
            App = await Portal.CreateAppAsync("Acme", RedirectUrl);
            using var admin = Portal.Http(App.ApiKey);
            await JsonAssert.OkAsync(await admin.PostAsync($"v1/{App.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "zendesk" })));
            await JsonAssert.OkAsync(await admin.PostAsync($"v1/{App.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "shopify", authScheme = "oauth2" })));
            await JsonAssert.OkAsync(await admin.PostAsync($"v1/{App.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "pipedrive" })));
        }

        public async Task DisposeAsync()
        {
            await Portal.DisposeAsync();
            await Api.DisposeAsync();
            await Zendesk.DisposeAsync();
            await Shopify.DisposeAsync();
            await Pipedrive.DisposeAsync();
        }
    }

    private string Base => $"v1/{fx.App.Id}/integrations";
    private static HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true });

    private async Task<HttpResponseMessage> PostConnectAsync(string toolkit, string user, object? fields)
    {
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        return await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit, redirectUrl = RedirectUrl, userId = user, fields }));
    }

    private async Task<string> StartAsync(string toolkit, string user, object? fields) =>
        (await JsonAssert.OkAsync(await PostConnectAsync(toolkit, user, fields))).GetProperty("authUrl").GetString()!;

    /// <summary>The provider's authorize step (the fake redirects to the callback), then the callback: the app's redirect query.</summary>
    private static async Task<Dictionary<string, Microsoft.Extensions.Primitives.StringValues>> AuthorizeAndCallbackAsync(string authUrl)
    {
        using var browser = Browser();
        var toCallback = await browser.GetAsync(authUrl);
        Assert.Equal(HttpStatusCode.Redirect, toCallback.StatusCode);
        var done = await browser.GetAsync(toCallback.Headers.Location!);
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        return QueryHelpers.ParseQuery(done.Headers.Location!.Query);
    }

    private async Task<int> RequestCountAsync()
    {
        await using var scope = fx.Portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDb>().ConnectionRequests.CountAsync();
    }

    [Fact]
    public async Task Zendesk_connected_with_a_subdomain_uses_that_accounts_addresses_for_authorize_token_identity_tools_and_refresh()
    {
        fx.Zendesk.NextAccount("ada@acme.example");
        var authUrl = await StartAsync("zendesk", "zd-ada", new { subdomain = "acme" });
        Assert.StartsWith(fx.Zendesk.BaseUrl + "/accounts/acme/oauth/authorizations/new?", authUrl);

        var result = await AuthorizeAndCallbackAsync(authUrl);
        Assert.Equal("connected", result["status"]);
        Assert.Contains("POST /accounts/acme/oauth/tokens", fx.Zendesk.AccountRequests);
        Assert.Contains("GET /accounts/acme/api/v2/users/me.json", fx.Zendesk.AccountRequests);
        var connectionId = result["connectionId"].ToString();
        var credentials = await fx.Portal.StoredCredentialsAsync(fx.App.Id, connectionId);
        Assert.Equal("acme", credentials.Fields!["subdomain"]);

        // The first call finds the token expired: the refresh goes to the same account's token endpoint, then the API's.
        await fx.Portal.ExpireStoredTokenAsync(fx.Zendesk, fx.App.Id, connectionId);
        var tokenCalls = fx.Zendesk.AccountRequests.Count(r => r == "POST /accounts/acme/oauth/tokens");
        fx.Api.AcceptsToken = null;
        fx.Api.On("GET", "/accounts/acme/api/v2/tickets/35436.json", _ => (200, new JsonObject { ["ticket"] = new JsonObject { ["id"] = 35436 } }, null));
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var run = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/execute",
            JsonAssert.Body(new { toolName = "ZENDESK_GET_TICKET", userId = "zd-ada", @params = new { ticket_id = 35436 } })));
        Assert.True(run.GetProperty("successful").GetBoolean(), run.GetRawText());
        Assert.Equal(35436, run.GetProperty("data").GetProperty("ticket").GetProperty("id").GetInt32());
        Assert.Equal(tokenCalls + 1, fx.Zendesk.AccountRequests.Count(r => r == "POST /accounts/acme/oauth/tokens"));
        Assert.Equal("refresh_token", fx.Zendesk.TokenRequests.Last().GrantType);
    }

    [Theory]
    [InlineData("evil.com/x", "fields.subdomain")]
    [InlineData("ada@acme", "fields.subdomain")]
    [InlineData("acme?x=1", "fields.subdomain")]
    [InlineData("acme#x", "fields.subdomain")]
    [InlineData("", "fields.subdomain")]
    public async Task A_subdomain_that_could_move_the_host_or_is_missing_is_422_naming_the_field_and_nothing_is_stored(string subdomain, string field)
    {
        var requests = await RequestCountAsync();
        var authorizes = fx.Zendesk.AuthorizeRequests.Count;
        var response = await PostConnectAsync("zendesk", "zd-bad", new { subdomain });
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var error = await JsonAssert.ErrorAsync(response, (HttpStatusCode)422, "validation_failed");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
        Assert.Equal(requests, await RequestCountAsync());
        Assert.Equal(authorizes, fx.Zendesk.AuthorizeRequests.Count);
    }

    [Fact]
    public async Task Unknown_and_overlong_fields_are_422_naming_each_field()
    {
        var unknown = await JsonAssert.ErrorAsync(await PostConnectAsync("zendesk", "zd-bad", new { subdomain = "acme", host = "evil.com" }), (HttpStatusCode)422, "validation_failed");
        Assert.Contains(unknown.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == "fields.host");
        var tooLong = await JsonAssert.ErrorAsync(await PostConnectAsync("zendesk", "zd-bad", new { subdomain = new string('a', 5000) }), (HttpStatusCode)422, "validation_failed");
        Assert.Contains(tooLong.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == "fields.subdomain");
        // Pipedrive's company host comes from its token answer, not from the app.
        var filledByProvider = await JsonAssert.ErrorAsync(await PostConnectAsync("pipedrive", "pd-bad", new { company_domain = "evil" }), (HttpStatusCode)422, "validation_failed");
        Assert.Contains(filledByProvider.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == "fields.company_domain");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [Fact]
    public async Task Without_fields_the_hosted_page_asks_for_the_subdomain_before_sending_the_user_to_the_provider()
    {
        var authorizes = fx.Zendesk.AuthorizeRequests.Count;
        var authUrl = await StartAsync("zendesk", "zd-page", null);
        Assert.StartsWith(fx.Portal.Address.ToString().TrimEnd('/') + "/connect/ca_", authUrl);
        using var browser = Browser();
        var page = await browser.GetStringAsync(authUrl);
        Assert.Contains("Zendesk subdomain", page);
        Assert.Equal(authorizes, fx.Zendesk.AuthorizeRequests.Count);

        async Task<HttpResponseMessage> SubmitAsync(string subdomain)
        {
            var html = await browser.GetStringAsync(authUrl);
            return await browser.PostAsync(authUrl, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "hosted-connect", ["__RequestVerificationToken"] = AntiforgeryField().Match(html).Groups[1].Value,
                ["action"] = "connect", ["field.subdomain"] = subdomain,
            }));
        }

        var refused = await SubmitAsync("evil.com/steal?x=");
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        Assert.Contains("letters, digits, dots and dashes only", await refused.Content.ReadAsStringAsync());

        var toProvider = await SubmitAsync("acme");
        Assert.Equal(HttpStatusCode.Redirect, toProvider.StatusCode);
        var authorize = toProvider.Headers.Location!.ToString();
        Assert.StartsWith(fx.Zendesk.BaseUrl + "/accounts/acme/oauth/authorizations/new?", authorize);
        fx.Zendesk.NextAccount("grace@acme.example");
        var result = await AuthorizeAndCallbackAsync(authorize);
        Assert.Equal("connected", result["status"]);
        Assert.Equal("acme", (await fx.Portal.StoredCredentialsAsync(fx.App.Id, result["connectionId"].ToString())).Fields!["subdomain"]);
        // The page is single use: the request now has its state.
        using var used = await browser.GetAsync(authUrl);
        Assert.Equal(System.Net.HttpStatusCode.Gone, used.StatusCode);
        Assert.Contains("This link has expired", await used.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Shopify_over_oauth_takes_the_shop_and_calls_its_admin_api_with_the_shops_token_header()
    {
        fx.Shopify.NextAccount("owner@acme.example");
        var authUrl = await StartAsync("shopify", "shop-ada", new { shop = "acme" });
        Assert.StartsWith(fx.Shopify.BaseUrl + "/accounts/acme/", authUrl);
        // Shopify's scopes are comma-separated (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant).
        Assert.Contains("read_products,write_products", QueryHelpers.ParseQuery(new Uri(authUrl).Query)["scope"].ToString());
        var result = await AuthorizeAndCallbackAsync(authUrl);
        Assert.Equal("connected", result["status"]);
        Assert.Contains(fx.Shopify.AccountRequests, r => r.StartsWith("POST /accounts/acme/"));
        var credentials = await fx.Portal.StoredCredentialsAsync(fx.App.Id, result["connectionId"].ToString());

        fx.Api.AcceptsToken = null;
        fx.Api.On("GET", "/accounts/acme/admin/api/2025-01/shop.json", _ => (200, new JsonObject { ["shop"] = new JsonObject { ["currency"] = "USD" } }, null));
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var run = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/execute",
            JsonAssert.Body(new { toolName = "SHOPIFY_GET_SHOP", userId = "shop-ada", @params = new { } })));
        Assert.True(run.GetProperty("successful").GetBoolean(), run.GetRawText());
        var sent = fx.Api.Requests.Last(r => r.Path == "/accounts/acme/admin/api/2025-01/shop.json");
        Assert.Equal(credentials.AccessToken, sent.Headers["X-Shopify-Access-Token"]);
        Assert.False(sent.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Pipedrive_takes_the_company_host_from_the_token_answer()
    {
        fx.Pipedrive.NextAccount("ada@acme.example");
        var result = await AuthorizeAndCallbackAsync(await StartAsync("pipedrive", "pd-ada", null));
        Assert.Equal("connected", result["status"]);
        Assert.Equal("acme", (await fx.Portal.StoredCredentialsAsync(fx.App.Id, result["connectionId"].ToString())).Fields!["company_domain"]);

        fx.Pipedrive.Options.PipedriveApiDomain = "https://acme.pipedrive.com.evil.example";
        try
        {
            fx.Pipedrive.NextAccount("eve@acme.example");
            var refused = await AuthorizeAndCallbackAsync(await StartAsync("pipedrive", "pd-eve", null));
            Assert.Equal("failed", refused["status"]);
            Assert.Equal("provider_setup_failed", refused["error"]);
        }
        finally { fx.Pipedrive.Options.PipedriveApiDomain = "https://acme.pipedrive.com"; }
    }

    [Theory]
    [InlineData("https://acme.pipedrive.com", "acme")]
    [InlineData("https://Acme-2.pipedrive.com/", "acme-2")]
    [InlineData("https://acme.pipedrive.com.evil.example", null)]
    [InlineData("https://evil.example", null)]
    [InlineData("http://acme.pipedrive.com", null)]
    [InlineData("https://a.b.pipedrive.com", null)]
    [InlineData("https://x@acme.pipedrive.com", null)]
    [InlineData("https://acme.pipedrive.com:8443", null)]
    [InlineData("https://acme.pipedrive.com/api", null)]
    [InlineData("acme.pipedrive.com", null)]
    [InlineData(null, null)]
    public void Pipedrives_api_domain_is_taken_only_as_one_host_directly_under_pipedrive_com(string? apiDomain, string? expected) =>
        Assert.Equal(expected, PipedriveApiDomain.CompanyDomain(apiDomain));

    [Fact]
    public void The_catalogs_zendesk_urls_take_the_subdomain_into_their_host_and_are_tenant_chosen()
    {
        var providers = fx.Portal.Services.GetRequiredService<OAuthProviders>();
        var zendesk = new ToolkitCatalog().Find("zendesk")!;
        // Without the stand-in overrides: the catalog's real addresses.
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Butterbase:Toolkits:zendesk:ClientId"] = "id" }).Build();
        var settings = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddToolkitSettings().BuildServiceProvider()
            .GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<ToolkitSettingsBySlug>>();
        var real = new OAuthProviders(settings, fx.Portal.Services, fx.Portal.Services.GetRequiredService<Butterbase.Portal.Toolkits.ToolkitConfigs>(),
            fx.Portal.Services.GetRequiredService<Butterbase.Portal.Outbound.PublicOrigin>());
        Assert.Equal(["subdomain"], real.OAuthFields(zendesk).Select(f => f.Name));
        var (provider, _) = real.Resolve(zendesk, null, "https://portal.example", new Dictionary<string, string> { ["subdomain"] = "acme" });
        Assert.Equal("https://acme.zendesk.com/oauth/authorizations/new", provider!.AuthorizationUrl);
        Assert.Equal("https://acme.zendesk.com/oauth/tokens", provider.TokenUrl);
        Assert.Equal("https://acme.zendesk.com/api/v2/users/me.json", provider.UserInfoUrl);
        Assert.True(provider.TenantChosenHost);
        // An operator's override with the placeholder in its path keeps the operator's host: not tenant-chosen.
        var (stand_in, _) = providers.Resolve(zendesk, null, "https://portal.example", new Dictionary<string, string> { ["subdomain"] = "acme" });
        Assert.False(stand_in!.TenantChosenHost);
        Assert.Empty(real.OAuthFields(new ToolkitCatalog().Find("pipedrive")!));

        // In the catalog's addresses the subdomain is a host's first label: one DNS label, no dot or colon moves the host.
        Assert.True(real.IsHostLabel(zendesk, "subdomain", oauth: true));
        var fields = HostedConnect.FieldsOf(zendesk.Fields!, name => real.IsHostLabel(zendesk, name, oauth: true));
        foreach (var moving in new[] { "acme.evil.com", "acme:8443", "[::1]", "evil.com/x", "a@b" })
            Assert.Contains("field.subdomain", HostedConnect.Check(fields, new Dictionary<string, string> { ["field.subdomain"] = moving }, zendesk).Keys);
        Assert.Empty(HostedConnect.Check(fields, new Dictionary<string, string> { ["field.subdomain"] = "acme-support" }, zendesk));
    }

    [Fact]
    public async Task A_token_endpoint_whose_host_a_field_chose_goes_through_the_outbound_policy()
    {
        await using var portal = new PortalApplication().With("Butterbase:Outbound:AllowPrivateNetworks", "false")
            .With("Butterbase:Toolkits:zendesk:TokenUrl", fx.Zendesk.TokenUrl);
        var oauth = portal.Services.GetRequiredService<OAuthClient>();
        var provider = new OAuthProvider
        {
            Slug = "zendesk", AuthorizationUrl = fx.Zendesk.AuthorizeUrl, TokenUrl = fx.Zendesk.TokenUrl, ClientId = "zd-client", ClientSecret = "zd-secret-value",
        };
        var before = fx.Zendesk.TokenRequests.Count;
        var refused = await oauth.ExchangeCodeAsync(provider with { TenantChosenHost = true }, "code", "https://portal.example/cb", null, CancellationToken.None);
        Assert.False(refused.Ok);
        Assert.Equal("temporarily_unavailable", refused.Error);
        Assert.Equal(before, fx.Zendesk.TokenRequests.Count);
        // The same endpoint as the operator's own configuration is reached (and answers the bogus code).
        var reached = await oauth.ExchangeCodeAsync(provider, "code", "https://portal.example/cb", null, CancellationToken.None);
        Assert.False(reached.Ok);
        Assert.Equal(before + 1, fx.Zendesk.TokenRequests.Count);
    }
}
