using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Connections.Quirks;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>
/// One portal, one RFC 6749 provider stand-in and one <see cref="FakeProviderApi"/> playing the provider's extra endpoints
/// (Atlassian's accessible-resources, Mailchimp's metadata, DocuSign's userinfo, Xero's connections) and its API. Every
/// provider URL a quirk calls is pointed at the stand-in with `Butterbase:Toolkits:{slug}:…`, as an operator would.
/// </summary>
public sealed class QuirkStage : IAsyncLifetime
{
    public static readonly string[] Slugs = ["jira", "mailchimp", "docusign", "xero-accounting"];
    public FakeOAuthProvider OAuth { get; private set; } = default!;
    public FakeProviderApi Api { get; private set; } = default!;
    public PortalApplication Portal { get; private set; } = default!;
    public TestApp App { get; private set; } = default!;
    public string Base => $"v1/{App.Id}/integrations";

    public async Task InitializeAsync()
    {
        OAuth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic);
        Api = await FakeProviderApi.StartAsync();
        Portal = new PortalApplication();
        foreach (var slug in Slugs)
            foreach (var (key, value) in OAuth.SettingsFor(slug)) Portal.With(key, value);
        var api = Api.BaseUrl;
        Portal.With("Butterbase:Toolkits:jira:AccessibleResourcesUrl", api + "/oauth/token/accessible-resources")
            .With("Butterbase:Toolkits:jira:ApiBaseUrl", api + "/ex/jira/{cloudId}")
            .With("Butterbase:Toolkits:mailchimp:UserInfoUrl", api + "/oauth2/metadata")
            .With("Butterbase:Toolkits:mailchimp:ApiBaseUrl", api + "/{dc}/3.0")
            .With("Butterbase:Toolkits:docusign:UserInfoUrl", api + "/oauth/userinfo")
            .With("Butterbase:Toolkits:docusign:ApiBaseUrl", "http://{account_host}/restapi")
            .With("Butterbase:Toolkits:xero-accounting:ConnectionsUrl", api + "/connections")
            .With("Butterbase:Toolkits:xero-accounting:ApiBaseUrl", api + "/api.xro/2.0");
        App = await Portal.CreateAppAsync("Quirks", "https://app.example.com/");
        using var admin = Portal.Http(App.ApiKey);
        foreach (var slug in Slugs)
            await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = slug })));
    }

    /// <summary>The OAuth dance as a browser that follows no redirects: the app's return URL's query (status, error, connectionId).</summary>
    public async Task<Dictionary<string, string>> ConnectAsync(string slug, string user)
    {
        OAuth.NextAccount(user + "@example.com");
        using var admin = Portal.Http(App.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect",
            JsonAssert.Body(new { toolkit = slug, redirectUrl = FakeConnections.ReturnUrl, userId = user })));
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var toCallback = (await browser.GetAsync(started.GetProperty("authUrl").GetString())).Headers.Location!;
        var done = await browser.GetAsync(toCallback);
        return QueryHelpers.ParseQuery(done.Headers.Location!.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    /// <summary>`POST /proxy` GET <paramref name="path"/> as <paramref name="user"/>: what the provider's API received.</summary>
    public async Task<FakeProviderApi.Received> ProxyGetAsync(string slug, string user, string path, string expectedPath)
    {
        using var admin = Portal.Http(App.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/proxy", JsonAssert.Body(new { toolkit = slug, userId = user, method = "GET", path })));
        return Api.Requests.LastOrDefault(r => r.Path == expectedPath)
            ?? throw new Xunit.Sdk.XunitException($"The API stand-in received no {expectedPath}: " + string.Join(", ", Api.Requests.Select(r => r.Path)));
    }

    public async Task DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Api.DisposeAsync();
        await OAuth.DisposeAsync();
    }
}

/// <summary>The five quirks the overlay named before they had code, each against a stand-in shaped like its provider.</summary>
public sealed class ProviderQuirkTests(QuirkStage stage) : IClassFixture<QuirkStage>
{
    private FakeProviderApi Api => stage.Api;
    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task Atlassian_cloudid_comes_from_accessible_resources_and_addresses_every_api_call()
    {
        // https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/ (two sites: the first is used)
        Api.On("GET", "/oauth/token/accessible-resources", _ => (200, Json("""
            [{"id":"1324a887-45db-1bf4-1e99-ef0ff456d421","name":"Acme Jira","url":"https://acme.atlassian.net","scopes":["read:jira-work","write:jira-work"],"avatarUrl":"https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png"},
             {"id":"9999a887-45db-1bf4-1e99-ef0ff456d999","name":"Other","url":"https://other.atlassian.net","scopes":["read:jira-work"],"avatarUrl":""}]
            """), null));
        Api.On("GET", "/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421/rest/api/3/myself", _ => (200, Json("""{"accountId":"5b10ac8d82e05b22cc7d4ef5","displayName":"Ada"}"""), null));

        var connected = await stage.ConnectAsync("jira", "ada");
        Assert.Equal("connected", connected["status"]);
        var resources = Api.Requests.Last(r => r.Path == "/oauth/token/accessible-resources");
        Assert.StartsWith("Bearer at-", resources.Headers["Authorization"]);
        var stored = await stage.Portal.StoredCredentialsAsync(stage.App.Id, connected["connectionId"]);
        Assert.Equal("1324a887-45db-1bf4-1e99-ef0ff456d421", stored.Fields!["cloudId"]);

        var sent = await stage.ProxyGetAsync("jira", "ada", "/rest/api/3/myself", "/ex/jira/1324a887-45db-1bf4-1e99-ef0ff456d421/rest/api/3/myself");
        Assert.Equal(stored.AccessToken, sent.Headers["Authorization"][7..]);
        Assert.False(sent.Headers.ContainsKey("xero-tenant-id")); // another provider's quirk never touches Jira's calls
    }

    [Fact]
    public async Task Atlassian_grant_with_no_site_fails_the_connect_instead_of_storing_a_connection_without_an_address()
    {
        Api.On("GET", "/oauth/token/accessible-resources", _ => (200, new JsonArray(), null));
        var failed = await stage.ConnectAsync("jira", "bob");
        Assert.Equal("failed", failed["status"]);
        Assert.Equal("provider_setup_failed", failed["error"]);
        Assert.False(failed.ContainsKey("connectionId"));

        Api.On("GET", "/oauth/token/accessible-resources", _ => (401, Json("""{"code":401,"message":"Unauthorized"}"""), null));
        Assert.Equal("provider_setup_failed", (await stage.ConnectAsync("jira", "bob"))["error"]);
    }

    [Fact]
    public async Task Mailchimp_metadata_is_read_with_the_OAuth_scheme_and_its_dc_becomes_the_api_host()
    {
        // https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/ (metadata answer)
        Api.On("GET", "/oauth2/metadata", _ => (200, Json("""
            {"dc":"us6","role":"owner","accountname":"Acme Mail","user_id":40021,"login":{"email":"ada@example.com","avatar":null,"login_id":40021,"login_name":"ada","login_email":"ada@example.com"},"login_url":"https://login.mailchimp.com","api_endpoint":"https://us6.api.mailchimp.com"}
            """), null));
        Api.On("GET", "/us6/3.0/ping", _ => (200, Json("""{"health_status":"Everything's Chimpy!"}"""), null));

        var connected = await stage.ConnectAsync("mailchimp", "ada");
        Assert.Equal("connected", connected["status"]);
        var metadata = Api.Requests.Last(r => r.Path == "/oauth2/metadata");
        Assert.StartsWith("OAuth at-", metadata.Headers["Authorization"]); // not Bearer: Mailchimp's documented scheme
        await stage.ProxyGetAsync("mailchimp", "ada", "/ping", "/us6/3.0/ping");

        // A dc that is not a data center's shape would become part of a host name: refused.
        Api.On("GET", "/oauth2/metadata", _ => (200, Json("""{"dc":"evil.example/x","user_id":1}"""), null));
        Assert.Equal("provider_setup_failed", (await stage.ConnectAsync("mailchimp", "eve"))["error"]);
    }

    [Fact]
    public async Task DocuSign_default_accounts_base_uri_and_id_address_the_api()
    {
        // https://developers.docusign.com/platform/auth/reference/user-info/ (two accounts, the second is the default)
        var host = new Uri(Api.BaseUrl).Authority;
        Api.On("GET", "/oauth/userinfo", _ => (200, Json($$"""
            {"sub":"4799e5e9-1559-4915-9862-cf4713bbcacc","name":"Ada Lovelace","given_name":"Ada","family_name":"Lovelace","created":"2015-08-13T22:03:03.45","email":"ada@example.com",
             "accounts":[{"account_id":"a4ec37d6-0000-0000-0000-143885c220e1","is_default":false,"account_name":"Old","base_uri":"https://demo.docusign.net"},
                         {"account_id":"d0a8f3b2-0000-0000-0000-2f2b1c0e9a77","is_default":true,"account_name":"Acme","base_uri":"http://{{host}}"}]}
            """), null));
        Api.On("GET", "/restapi/v2.1/accounts/d0a8f3b2-0000-0000-0000-2f2b1c0e9a77/envelopes", _ => (200, Json("""{"envelopes":[],"resultSetSize":"0"}"""), null));

        var connected = await stage.ConnectAsync("docusign", "ada");
        Assert.Equal("connected", connected["status"]);
        var stored = await stage.Portal.StoredCredentialsAsync(stage.App.Id, connected["connectionId"]);
        Assert.Equal(host, stored.Fields!["account_host"]);
        Assert.Equal("d0a8f3b2-0000-0000-0000-2f2b1c0e9a77", stored.Fields["account_id"]);
        await stage.ProxyGetAsync("docusign", "ada", "/v2.1/accounts/d0a8f3b2-0000-0000-0000-2f2b1c0e9a77/envelopes",
            "/restapi/v2.1/accounts/d0a8f3b2-0000-0000-0000-2f2b1c0e9a77/envelopes");

        // A base_uri that is not an absolute http(s) URL cannot become a host.
        Api.On("GET", "/oauth/userinfo", _ => (200, Json("""{"sub":"x","accounts":[{"account_id":"1","is_default":true,"base_uri":"javascript:alert(1)"}]}"""), null));
        Assert.Equal("provider_setup_failed", (await stage.ConnectAsync("docusign", "eve"))["error"]);
    }

    [Fact]
    public async Task Xero_tenant_comes_from_connections_and_every_api_call_names_it()
    {
        // https://developer.xero.com/documentation/guides/oauth2/auth-flow/#5-check-the-tenants-youre-authorized-to-access
        Api.On("GET", "/connections", _ => (200, Json("""
            [{"id":"e1eede29-f875-4a5d-8470-17f6a29a88b1","authEventId":"d99ecdfe-391d-43d2-b834-17636ba90e8d","tenantId":"70784a63-d24b-46a9-a4db-0e70a274b056","tenantType":"ORGANISATION","tenantName":"Maple Florists","createdDateUtc":"2019-07-09T23:40:30.1833130","updatedDateUtc":"2020-05-15T01:35:13.8491980"}]
            """), null));
        Api.On("GET", "/api.xro/2.0/Organisation", _ => (200, Json("""{"Organisations":[{"Name":"Maple Florists"}]}"""), null));

        var connected = await stage.ConnectAsync("xero-accounting", "ada");
        Assert.Equal("connected", connected["status"]);
        var sent = await stage.ProxyGetAsync("xero-accounting", "ada", "/Organisation", "/api.xro/2.0/Organisation");
        Assert.Equal("70784a63-d24b-46a9-a4db-0e70a274b056", sent.Headers["xero-tenant-id"]);

        Api.On("GET", "/connections", _ => (200, new JsonArray(), null));
        Assert.Equal("provider_setup_failed", (await stage.ConnectAsync("xero-accounting", "eve"))["error"]);
    }
}

/// <summary>`revoke_square` against a stand-in of Square's `POST /oauth2/revoke` (https://developer.squareup.com/reference/square/oauth-api/revoke-token).</summary>
public sealed class SquareRevocationTests
{
    [Fact]
    public async Task Square_revocation_sends_the_client_secret_as_Client_auth_and_json_client_id_and_access_token()
    {
        await using var api = await FakeProviderApi.StartAsync();
        var answer = (Status: 200, Body: (object)Json("""{"success":true}"""));
        api.On("POST", "/oauth2/revoke", _ => (answer.Status, answer.Body, null));
        await using var portal = new PortalApplication()
            .With("Butterbase:Toolkits:squareup:ClientId", "sq0idp-fake")
            .With("Butterbase:Toolkits:squareup:ClientSecret", "sq0csp-secret")
            .With("Butterbase:Toolkits:squareup:RevocationUrl", api.BaseUrl + "/oauth2/revoke");
        var toolkit = portal.Services.GetRequiredService<ToolkitCatalog>().Find("squareup")!;
        var (provider, problem) = portal.Services.GetRequiredService<OAuthProviders>().Resolve(toolkit, null, "https://portal.example.com");
        Assert.Null(problem);
        var oauth = portal.Services.GetRequiredService<OAuthClient>();
        var credentials = new StoredCredentials { AccessToken = "EAAAl-access", RefreshToken = "EQAAl-refresh" };

        Assert.True(await oauth.RevokeAsync(provider!, credentials, CancellationToken.None));
        var sent = Assert.Single(api.Requests);
        Assert.Equal("Client sq0csp-secret", sent.Headers["Authorization"]);
        Assert.StartsWith("application/json", sent.Headers["Content-Type"]);
        Assert.True(JsonNode.DeepEquals(Json("""{"client_id":"sq0idp-fake","access_token":"EAAAl-access"}"""), sent.Json), sent.Body);

        // Square's answer to a wrong secret: revocation not done, retried later (RevocationWorker).
        answer = (401, Json("""{"errors":[{"category":"AUTHENTICATION_ERROR","code":"UNAUTHORIZED","detail":"This request could not be authorized."}]}"""));
        Assert.False(await oauth.RevokeAsync(provider!, credentials, CancellationToken.None));
    }

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;
}

/// <summary>What reading quirks take from a provider's or the browser's answer before it becomes part of an API address.</summary>
public sealed class QuirkReadingTests
{
    private static QuirkConnectContext Context(Dictionary<string, JsonElement>? tokenBody = null, Dictionary<string, string>? callback = null) => new(
        new OAuthProvider { Slug = "x", AuthorizationUrl = "https://p.example/a", TokenUrl = "https://p.example/t", ClientId = "c", ClientSecret = "s" },
        new TokenResult { Ok = true, AccessToken = "at", Body = tokenBody ?? [] }, null, callback ?? [], new HttpClient(), new ToolkitSettings());

    private static Dictionary<string, JsonElement> Body(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;

    [Theory]
    [InlineData("https://acme.my.salesforce.com", "acme.my.salesforce.com")]
    [InlineData("https://na123.salesforce.com:8443/", "na123.salesforce.com:8443")]
    [InlineData("https://evil@attacker.example", null)]   // user info would change who is called
    [InlineData("javascript:alert(1)", null)]
    [InlineData("/relative", null)]
    public async Task Salesforce_takes_only_the_authority_of_an_absolute_instance_url(string instanceUrl, string? host)
    {
        var found = await ProviderQuirks.Resolve("salesforce_instance_url").AfterConnectAsync(Context(Body($$"""{"instance_url":"{{instanceUrl}}"}""")), default);
        Assert.Equal(host, found.Fields.GetValueOrDefault("instance_host"));
        Assert.Equal(host is null, found.Problem is not null);
    }

    [Theory]
    [InlineData("9130347596842384", true)]
    [InlineData("123/../../other", false)]
    [InlineData("", false)]
    public async Task QuickBooks_takes_only_a_numeric_realm_id_from_the_callback(string realm, bool taken)
    {
        var found = await ProviderQuirks.Resolve("quickbooks_realm").AfterConnectAsync(Context(callback: new() { ["realmId"] = realm }), default);
        Assert.Equal(taken ? realm : null, found.Fields.GetValueOrDefault("realmId"));
        Assert.Equal(taken, found.Problem is null);
    }
}
