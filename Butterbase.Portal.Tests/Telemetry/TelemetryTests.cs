using System.Text;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Butterbase.Portal.Tests.Telemetry;

/// <summary>
/// OpenTelemetry over real OTLP/HTTP (protobuf) to a stand-in collector: the portal exports a trace per execute with the
/// provider call as a child, and execution metrics, only when an endpoint is configured, and never a path, a parameter or
/// a token. Protobuf keeps strings as raw UTF-8, so the exported bytes can be searched for what must (not) be there.
/// </summary>
public sealed class TelemetryTests : IAsyncLifetime
{
    private FakeOAuthProvider _google = default!;
    private FakeProviderApi _gmail = default!, _collector = default!;
    private readonly List<byte[]> _traces = [], _metrics = [];

    public async Task InitializeAsync()
    {
        _google = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Google);
        _gmail = await FakeProviderApi.StartAsync();
        _gmail.AcceptsToken = _google.IsAccessTokenActive;
        _gmail.On("POST", "/gmail/v1/users/me/messages/send", _ => (200, new { id = "msg_123", threadId = "thr_9", labelIds = new[] { "SENT" } }, null));
        _collector = await FakeProviderApi.StartAsync();
        _collector.On("POST", "/v1/traces", r => { lock (_traces) _traces.Add(r.BodyBytes); return (200, null, null); });
        _collector.On("POST", "/v1/metrics", r => { lock (_metrics) _metrics.Add(r.BodyBytes); return (200, null, null); });
    }

    public async Task DisposeAsync()
    {
        foreach (var d in new IAsyncDisposable[] { _google, _gmail, _collector }) await d.DisposeAsync();
    }

    private async Task<(PortalApplication Portal, TestApp App)> StartPortalAsync(bool exporting)
    {
        var portal = new PortalApplication();
        if (exporting)
            portal.With("OTEL_EXPORTER_OTLP_ENDPOINT", _collector.BaseUrl).With("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .With("OTEL_BSP_SCHEDULE_DELAY", "100").With("OTEL_METRIC_EXPORT_INTERVAL", "200");
        foreach (var (key, value) in _google.SettingsFor("gmail")) portal.With(key, value);
        portal.With("Butterbase:Toolkits:gmail:ApiBaseUrl", _gmail.BaseUrl);
        var app = await portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "gmail" })));
        _google.NextAccount("gina@example.com");
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/connect",
            JsonAssert.Body(new { toolkit = "gmail", redirectUrl = "https://app.example.com/back", userId = "gina" })));
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var toCallback = await browser.GetAsync(started.GetProperty("authUrl").GetString());
        var done = await browser.GetAsync(toCallback.Headers.Location);
        Assert.Equal("connected", QueryHelpers.ParseQuery(done.Headers.Location!.Query)["status"].ToString());
        return (portal, app);
    }

    private static async Task SendSecretMailAsync(PortalApplication portal, TestApp app)
    {
        using var admin = portal.Http(app.ApiKey);
        var result = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/execute", JsonAssert.Body(new
        {
            toolName = "GMAIL_SEND_EMAIL", userId = "gina",
            @params = new { to = "secret-recipient@example.com", subject = "Quarterly numbers 7f3a", body = "confidential body text" },
        })));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
    }

    private static async Task<string> WaitForAsync(List<byte[]> batches, Func<string, bool> holds)
    {
        for (var waited = 0; waited < 15_000; waited += 100)
        {
            string all;
            lock (batches) all = string.Join("\n", batches.Select(b => Encoding.UTF8.GetString(b)));
            if (holds(all)) return all;
            await Task.Delay(100);
        }
        lock (batches) return string.Join("\n", batches.Select(b => Encoding.UTF8.GetString(b)));
    }

    [Fact]
    public async Task An_execute_exports_its_trace_with_the_provider_call_and_no_path_parameter_or_token()
    {
        var (portal, app) = await StartPortalAsync(exporting: true);
        await using (portal)
        {
            await SendSecretMailAsync(portal, app);
            // Everything in this test process is traced, the stand-ins' own servers too: keep the portal's spans.
            var portalPort = portal.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // Other tests' portals run in this process at the same time, and activity listeners are process-wide: keep
            // only the traces that passed through this portal's own server (its port), so their spans cannot be counted.
            List<OtlpSpan> spans = [];
            for (var waited = 0; waited < 15_000 && !spans.Any(s => s.Name == "provider call"); waited += 100)
            {
                await Task.Delay(100);
                List<OtlpSpan> all;
                lock (_traces) all = _traces.SelectMany(OtlpSpan.Read).ToList();
                var ours = all.Where(s => s.Attributes.GetValueOrDefault("server.port") == portalPort).Select(s => s.TraceId).ToHashSet();
                spans = all.Where(s => ours.Contains(s.TraceId)).ToList();
            }
            var execute = Assert.Single(spans, s => s.Name == "execute");
            Assert.Equal("GMAIL_SEND_EMAIL", execute.Attributes["butterbase.tool"]);
            Assert.Equal("gmail", execute.Attributes["butterbase.toolkit"]);
            Assert.Equal("ok", execute.Attributes["butterbase.outcome"]);
            var server = Assert.Single(spans, s => s.SpanId == execute.ParentSpanId);
            Assert.Equal("/v1/{appId}/integrations/execute", server.Attributes["http.route"]);
            var call = Assert.Single(spans, s => s.Name == "provider call");
            Assert.Equal(execute.SpanId, call.ParentSpanId);
            Assert.Equal("POST", call.Attributes["http.request.method"]);
            Assert.Equal("200", call.Attributes["http.response.status_code"]);
            Assert.Contains(spans, s => s.Name == "connect callback" && s.Attributes["butterbase.outcome"] == "connected");

            var own = spans.Where(s => !s.Attributes.TryGetValue("server.port", out var port) || port == portalPort).ToList();
            var text = string.Join("\n", own.SelectMany(s => s.Attributes.Select(a => $"{s.Name} {a.Key}={a.Value}")));
            Assert.DoesNotContain("/gmail/v1", text);
            Assert.DoesNotContain("secret-recipient", text);
            Assert.DoesNotContain("Quarterly numbers", text);
            Assert.DoesNotContain(app.ApiKey, text);
            Assert.DoesNotContain("Bearer", text);
            // The OAuth callback's code and state: ASP.NET Core's instrumentation keeps query names, not values.
            var callback = Assert.Single(own, s => s.Attributes.GetValueOrDefault("http.route") == "/v1/oauth/callback/{toolkit}");
            Assert.Matches("^\\??code=Redacted&state=Redacted", callback.Attributes["url.query"]);

            var metrics = await WaitForAsync(_metrics, m => m.Contains("butterbase.executions") && m.Contains("butterbase.connects"));
            Assert.Contains("butterbase.execution.duration", metrics);
            Assert.DoesNotContain("secret-recipient", metrics);
        }
    }

    [Fact]
    public async Task Without_an_endpoint_no_exporter_runs()
    {
        var (portal, app) = await StartPortalAsync(exporting: false);
        await using (portal)
        {
            await SendSecretMailAsync(portal, app);
            // Off means not registered at all: no provider listens, nothing is batched, nothing is sent anywhere.
            Assert.Null(portal.Services.GetService<TracerProvider>());
            Assert.Null(portal.Services.GetService<MeterProvider>());
        }
    }
}
