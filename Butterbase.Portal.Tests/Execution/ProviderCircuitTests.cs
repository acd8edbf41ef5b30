using System.Text.Json;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Outbound;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.Extensions.Http.Resilience;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// The provider calls' circuit breakers (docs/security.md "Execution log: refused calls and the provider client's
/// handlers"): one tenant's failing calls must not pause another tenant's calls to the same provider host, and a
/// provider's rate limits (one credential's answer) open nothing. Two apps with Airtable personal access tokens against
/// one stand-in host.
/// </summary>
public sealed class ProviderCircuitTests : IAsyncLifetime
{
    private const string Table = "/v0/appAbCdEfGhIjKlMn/Parts";
    private const string PatA = "patAaAaAaAaAaAaAa.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string PatB = "patBbBbBbBbBbBbBb.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private FakeProviderApi _api = default!;
    private PortalApplication _portal = default!;
    private TestApp _appA = default!, _appB = default!;
    /// <summary>Status the stand-in answers to each token's create (200 with a record unless set).</summary>
    private readonly Dictionary<string, int> _status = new() { [PatA] = 200, [PatB] = 200 };

    public async Task InitializeAsync()
    {
        _api = await FakeProviderApi.StartAsync();
        _api.On("POST", Table, r =>
        {
            var status = _status[r.Headers["Authorization"]["Bearer ".Length..]];
            return status == 200
                ? (200, new { id = "recA1b2C3d4E5f6G7", createdTime = "2025-06-01T10:00:00.000Z", fields = new { Name = "Crank" } }, null)
                : (status, new { error = new { type = status == 429 ? "RATE_LIMIT_REACHED" : "SERVER_ERROR", message = "Try again later." } }, null);
        });
        _portal = new PortalApplication()
            .With("Butterbase:RateLimit:PermitsPerApp", "100000")
            .With("Butterbase:Toolkits:airtable:ApiBaseUrl", _api.BaseUrl + "/v0");
        _appA = await ConnectedAppAsync("App A", PatA);
        _appB = await ConnectedAppAsync("App B", PatB);
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _api.DisposeAsync();
    }

    private async Task<TestApp> ConnectedAppAsync(string name, string pat)
    {
        var app = await _portal.CreateAppAsync(name, HostedConnectDriver.ReturnUrl);
        using var admin = _portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "airtable", authScheme = "bearer" })));
        await _portal.ConnectHostedAsync(app, "airtable", "ada", new() { ["token"] = pat });
        return app;
    }

    /// <summary>One `AIRTABLE_CREATE_RECORD` (a POST: never retried, so one provider call per execute at most).</summary>
    private async Task<JsonElement> CreateAsync(TestApp app)
    {
        using var admin = _portal.Http(app.ApiKey);
        return await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute", JsonAssert.Body(new
        {
            toolName = "AIRTABLE_CREATE_RECORD",
            userId = "ada",
            @params = new { base_id = "appAbCdEfGhIjKlMn", table = "Parts", fields = """{"Name":"Crank"}""" },
        })));
    }

    private int CallsWith(string pat) => _api.Requests.Count(r => r.Path == Table && r.Headers["Authorization"] == "Bearer " + pat);

    [Fact]
    public async Task One_apps_failing_calls_open_its_own_circuit_and_never_another_apps_to_the_same_host()
    {
        // App A's token makes the provider fail: after the breaker's minimum of 100 calls it opens, for A.
        _status[PatA] = 500;
        JsonElement last = default;
        for (var i = 0; i < 120; i++) last = await CreateAsync(_appA);
        Assert.False(last.GetProperty("successful").GetBoolean());
        Assert.Equal("upstream_error", last.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("calls are paused", last.GetProperty("error").GetProperty("message").GetString());
        Assert.InRange(CallsWith(PatA), 100, 119); // the last ones never reached the provider

        // App B calls the same host in the same second: its calls go through.
        var b = await CreateAsync(_appB);
        Assert.True(b.GetProperty("successful").GetBoolean(), b.ToString());
        Assert.Equal(1, CallsWith(PatB));

        // A's circuit is still open (5 s) even though the provider would now answer A too.
        _status[PatA] = 200;
        var stillPaused = await CreateAsync(_appA);
        Assert.Contains("calls are paused", stillPaused.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_providers_rate_limits_open_no_circuit()
    {
        // 429 is the answer to one credential's pace: the caller sees rate_limited every time, and the next call, once the
        // provider accepts it again, is sent at once.
        _status[PatA] = 429;
        for (var i = 0; i < 120; i++)
        {
            var limited = await CreateAsync(_appA);
            Assert.Equal("rate_limited", limited.GetProperty("error").GetProperty("code").GetString());
        }
        Assert.Equal(120, CallsWith(PatA));

        _status[PatA] = 200;
        var after = await CreateAsync(_appA);
        Assert.True(after.GetProperty("successful").GetBoolean(), after.ToString());
        Assert.Equal(121, CallsWith(PatA));
    }

    [Fact]
    public void Tenant_chosen_hosts_share_a_bounded_number_of_breakers_per_app_and_apps_never_share_one()
    {
        static HttpRequestMessage Call(string appId, string url, bool tenantChosen)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            var connection = new Connection { Id = "cn_1", AppId = appId, UserId = "ada", ToolkitSlug = "zendesk" };
            request.Options.Set(ConnectionUse.Key, new ConnectionUse(connection, new StoredCredentials(), 0, url));
            if (tenantChosen) request.Options.Set(OutboundPolicy.TenantChosenHost, true);
            return request;
        }

        // Hosts a connection names (a subdomain each): however many, an app has at most TenantHostBuckets breakers for them.
        var keys = Enumerable.Range(0, 5_000).Select(i => ProviderCircuit.KeyOf(Call("app_a", $"https://t{i}.zendesk.example/api/v2/tickets", true))).ToHashSet();
        Assert.InRange(keys.Count, 2, ProviderCircuit.TenantHostBuckets);
        // The same host for two apps, operator host or tenant-chosen: two breakers.
        Assert.NotEqual(ProviderCircuit.KeyOf(Call("app_a", "https://api.airtable.com/v0/x", false)), ProviderCircuit.KeyOf(Call("app_b", "https://api.airtable.com/v0/x", false)));
        Assert.NotEqual(ProviderCircuit.KeyOf(Call("app_a", "https://t1.zendesk.example/", true)), ProviderCircuit.KeyOf(Call("app_b", "https://t1.zendesk.example/", true)));
        // One app, one operator host: one breaker, whatever the path.
        Assert.Equal(ProviderCircuit.KeyOf(Call("app_a", "https://api.airtable.com/v0/x", false)), ProviderCircuit.KeyOf(Call("app_a", "https://api.airtable.com/v0/y?z=1", false)));
    }

    [Fact]
    public void A_multi_call_tools_later_calls_count_against_the_same_apps_breaker_as_its_first()
    {
        // Gmail's reply, Slack's upload completion and Drive's download are later calls of one execute: without the first
        // call's options they had no app, and one app's failing downloads could have opened a breaker shared by every app.
        using var first = new HttpRequestMessage(HttpMethod.Get, "https://www.googleapis.com/drive/v3/files/f1");
        var connection = new Connection { Id = "cn_1", AppId = "app_a", UserId = "ada", ToolkitSlug = "googledrive" };
        first.Options.Set(ConnectionUse.Key, new ConnectionUse(connection, new StoredCredentials(), 0, "https://portal.example"));
        using var later = CodedTool.FollowUp(first, HttpMethod.Get, "https://www.googleapis.com/drive/v3/files/f1?alt=media");
        Assert.Equal(ProviderCircuit.KeyOf(first), ProviderCircuit.KeyOf(later));
        Assert.StartsWith("app_a ", ProviderCircuit.KeyOf(later));
    }

    [Fact]
    public async Task Failures_on_a_tenant_chosen_host_count_against_no_breaker_and_operator_hosts_count_5xx_but_not_429()
    {
        // An end user who connects to hundreds of failing hosts of their own would otherwise open every shared bucket of the
        // app and pause the other end users' self-hosted calls.
        static HttpResponseMessage Answer(int status) => new((System.Net.HttpStatusCode)status);
        using var tenantHost = new HttpRequestMessage(HttpMethod.Get, "https://t1.zendesk.example/api/v2/tickets");
        tenantHost.Options.Set(OutboundPolicy.TenantChosenHost, true);
        using var operatorHost = new HttpRequestMessage(HttpMethod.Get, "https://api.airtable.com/v0/x");

        Assert.False(ProviderCircuit.Counts(tenantHost, Polly.Outcome.FromResult(Answer(500))));
        Assert.False(ProviderCircuit.Counts(tenantHost, Polly.Outcome.FromException<HttpResponseMessage>(new HttpRequestException("refused"))));
        Assert.True(ProviderCircuit.Counts(operatorHost, Polly.Outcome.FromResult(Answer(503))));
        Assert.True(ProviderCircuit.Counts(operatorHost, Polly.Outcome.FromException<HttpResponseMessage>(new HttpRequestException("refused"))));
        Assert.False(ProviderCircuit.Counts(operatorHost, Polly.Outcome.FromResult(Answer(429))));
        Assert.False(ProviderCircuit.Counts(operatorHost, Polly.Outcome.FromResult(Answer(404))));

        // Through the library's own resilience handler (which puts the request on the pipeline's context, where the
        // predicate reads it): 120 failures on a tenant-chosen host open nothing; on an operator host they do.
        static async Task<int> SentBeforeOpen(bool tenantChosen)
        {
            var pipeline = Polly.CircuitBreakerResiliencePipelineBuilderExtensions.AddCircuitBreaker(new Polly.ResiliencePipelineBuilder<HttpResponseMessage>(), ProviderCircuit.Options()).Build();
            using var client = new HttpClient(new ResilienceHandler(_ => pipeline) { InnerHandler = new Failing() });
            for (var i = 0; i < 120; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "https://t1.example/api");
                if (tenantChosen) request.Options.Set(OutboundPolicy.TenantChosenHost, true);
                try { using var _ = await client.SendAsync(request); }
                catch (Exception e) when (e.GetType().Name == "BrokenCircuitException") { return i; } // Polly 8's (OpenIddict brings Polly 7's too)
            }
            return 120;
        }
        Assert.Equal(120, await SentBeforeOpen(tenantChosen: true));
        Assert.Equal(100, await SentBeforeOpen(tenantChosen: false)); // the breaker's minimum throughput
    }

    private sealed class Failing : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.InternalServerError) { RequestMessage = request });
    }
}
