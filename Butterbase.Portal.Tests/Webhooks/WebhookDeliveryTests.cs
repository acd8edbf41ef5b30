using System.Net;
using System.Text.Json;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Butterbase.Portal.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace Butterbase.Portal.Tests.Webhooks;

/// <summary>
/// Webhooks end to end: a real receiver on 127.0.0.1, the portal on real Kestrel (SQLite, or PostgreSQL in the test
/// command's second pass), signatures verified with the `StandardWebhooks` 1.1.2 package (not our signing code).
/// Retry waits are configured down to 100 ms so a whole schedule runs in about a second.
/// </summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private const string Slug = "asana";
    private FakeOAuthProvider _oauth = default!;
    private FakeProviderApi _api = default!;
    private WebhookReceiver _receiver = default!;
    private readonly List<PortalApplication> _portals = [];
    private readonly CapturingLoggerProvider _logs = new();
    private volatile int _projectsStatus = 200;

    public async Task InitializeAsync()
    {
        _oauth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic, o => o.RotateRefreshTokens = true);
        _api = await FakeProviderApi.StartAsync();
        _api.AcceptsToken = _oauth.IsAccessTokenActive;
        _api.On("GET", "/projects", _ => (_projectsStatus, new { data = Array.Empty<object>() }, null));
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var portal in Enumerable.Reverse(_portals)) await portal.DisposeAsync();
        await _receiver.DisposeAsync();
        await _api.DisposeAsync();
        await _oauth.DisposeAsync();
    }

    /// <summary>A portal with the stand-ins configured and a 100 ms retry schedule.</summary>
    private PortalApplication Portal(string? directory = null, bool send = true, Action<PortalApplication>? configure = null)
    {
        var portal = new PortalApplication(directory: directory).WithServices(s => s.AddSingleton<ILoggerProvider>(_logs));
        foreach (var (key, value) in _oauth.SettingsFor(Slug)) portal.With(key, value);
        portal.With($"Butterbase:Toolkits:{Slug}:ApiBaseUrl", _api.BaseUrl).With("Butterbase:Webhooks:PollInterval", "00:00:00.100")
            .With("Butterbase:Webhooks:Send", send ? "true" : "false");
        for (var i = 0; i < 7; i++) portal.With($"Butterbase:Webhooks:RetrySchedule:{i}", "00:00:00.100");
        configure?.Invoke(portal);
        _portals.Add(portal);
        return portal;
    }

    private static async Task<(string Id, string Secret)> AddEndpointAsync(PortalApplication portal, TestApp app, string url, params string[] events)
    {
        using var admin = portal.Http(app.ApiKey);
        var response = await admin.PostAsync($"v1/{app.Id}/webhooks", JsonAssert.Body(new { url, events }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var row = await JsonAssert.OkAsync(response);
        var secret = row.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        Assert.True(Convert.FromBase64String(secret["whsec_".Length..]).Length >= 24);
        return (row.GetProperty("id").GetString()!, secret);
    }

    /// <summary>Verifies with the StandardWebhooks package: throws when no signature in the header matches.</summary>
    private static void Verify(WebhookReceiver.Received received, string secret) =>
        new StandardWebhook(secret).Verify(received.Body, received.Headers);

    private static async Task<JsonElement> ExecuteAsync(PortalApplication portal, TestApp app, string user)
    {
        using var admin = portal.Http(app.ApiKey);
        var response = await admin.PostAsync($"v1/{app.Id}/integrations/execute", JsonAssert.Body(new { toolName = "ASANA_GET_PROJECTS", userId = user, @params = new { } }));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task Each_connection_event_arrives_exactly_once_signed_verifiable_and_without_credentials()
    {
        var portal = Portal();
        var app = await portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = Slug })));
        var (_, secret) = await AddEndpointAsync(portal, app, _receiver.Url);

        var connectionId = await portal.ConnectThroughFakeAsync(app, _oauth, Slug, "ann");           // connection.created
        Assert.Equal(connectionId, await portal.ConnectThroughFakeAsync(app, _oauth, Slug, "ann"));  // same account: connection.reauthorized

        await portal.ExpireStoredTokenAsync(_oauth, app.Id, connectionId);
        _oauth.FailNextTokenCallsWith(503, times: 3);                                              // connection.refresh_failed (stays active)
        Assert.False((await ExecuteAsync(portal, app, "ann")).GetProperty("successful").GetBoolean());

        _projectsStatus = 403;                                                                     // connection.scope_insufficient
        Assert.Equal("insufficient_scope", (await ExecuteAsync(portal, app, "ann")).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("insufficient_scope", (await ExecuteAsync(portal, app, "ann")).GetProperty("error").GetProperty("code").GetString()); // not twice in an hour
        _projectsStatus = 200;

        await portal.ExpireStoredTokenAsync(_oauth, app.Id, connectionId);
        _oauth.FailNextTokenCallsWith("invalid_grant");                                            // connection.expired
        var expired = await portal.Http(app.ApiKey).PostAsync($"v1/{app.Id}/integrations/execute",
            JsonAssert.Body(new { toolName = "ASANA_GET_PROJECTS", userId = "ann", @params = new { } }));
        await JsonAssert.ErrorAsync(expired, HttpStatusCode.Conflict, "connection_expired");

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"v1/{app.Id}/integrations/connections/{connectionId}")).StatusCode); // connection.deleted

        string[] expected = ["connection.created", "connection.reauthorized", "connection.refresh_failed", "connection.scope_insufficient", "connection.expired", "connection.deleted"];
        var received = await _receiver.WaitUntilAsync(r => r.Count >= expected.Length, what: "six connection events");
        // Nothing is left to send: every delivery succeeded once, and another pass sends nothing.
        Assert.Equal(0, await portal.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default));
        received = _receiver.Requests;
        Assert.Equal(expected.Order(), received.Select(r => r.Type).Order());
        Assert.Equal(received.Count, received.Select(r => r.Id).Distinct().Count());
        // Deliveries are not ordered (a pass sends several at once, as Standard Webhooks allows); each event's timestamp
        // says when it was committed, so a receiver can order them.
        Assert.Equal(expected, received.OrderBy(r => r.Json.GetProperty("timestamp").GetDateTimeOffset()).Select(r => r.Type));

        var credentials = _oauth.TokenRequests.Count; // the flows above went through the provider (the body's fields are checked below)
        foreach (var r in received)
        {
            Verify(r, secret);
            // The signature covers the body: one changed character fails verification with the real secret.
            Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() => new StandardWebhook(secret).Verify(r.Body.Replace("ann", "anx"), r.Headers));
            var data = r.Json.GetProperty("data");
            Assert.Equal(connectionId, data.GetProperty("connectionId").GetString());
            Assert.Equal(Slug, data.GetProperty("toolkit").GetString());
            Assert.Equal("ann", data.GetProperty("userId").GetString());
            Assert.True(DateTimeOffset.TryParse(r.Json.GetProperty("timestamp").GetString(), out _));
            var allowed = new[] { "connectionId", "toolkit", "userId", "status", "reason", "revoked" };
            Assert.All(data.EnumerateObject(), p => Assert.Contains(p.Name, allowed));
            Assert.DoesNotContain("access_token", r.Body);
            Assert.DoesNotContain(secret, r.Body);
        }
        Assert.True(credentials > 0);
        var byType = received.ToDictionary(r => r.Type, r => r.Json.GetProperty("data"));
        Assert.Equal("expired", byType["connection.expired"].GetProperty("status").GetString());
        Assert.Equal("active", byType["connection.refresh_failed"].GetProperty("status").GetString());
        Assert.Equal("deleted", byType["connection.deleted"].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.True, byType["connection.deleted"].GetProperty("revoked").ValueKind); // the stand-in has a revocation endpoint: queued with the delete
        Assert.DoesNotContain(secret, _logs.All);
    }

    [Fact]
    public async Task A_receiver_failing_five_times_then_succeeding_gets_the_message_on_the_sixth_try_with_one_webhook_id()
    {
        var portal = Portal();
        var app = await portal.CreateAppAsync();
        var (endpointId, secret) = await AddEndpointAsync(portal, app, _receiver.Url);
        _receiver.Answer = r => r.Index < 5 ? (500, null, "down") : (200, null, null);
        using var admin = portal.Http(app.ApiKey);
        var queued = await admin.PostAsync($"v1/{app.Id}/webhooks/{endpointId}/test", null);
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        var messageId = (await JsonAssert.OkAsync(queued)).GetProperty("message_id").GetString();

        var received = await _receiver.WaitUntilAsync(r => r.Count >= 6, what: "six attempts");
        Assert.Equal(0, await portal.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default));
        Assert.Equal(6, _receiver.Requests.Count);
        Assert.All(received, r => Assert.Equal(messageId, r.Id));
        Assert.All(received, r => Verify(r, secret));
        Assert.Equal("webhook.test", received[5].Type);

        var log = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{app.Id}/webhooks/{endpointId}/deliveries"));
        var items = log.GetProperty("items").EnumerateArray().OrderBy(i => i.GetProperty("attempt").GetInt32()).ToList();
        Assert.Equal([1, 2, 3, 4, 5, 6], items.Select(i => i.GetProperty("attempt").GetInt32()));
        Assert.Equal([500, 500, 500, 500, 500, 200], items.Select(i => i.GetProperty("status_code").GetInt32()));
        Assert.All(items.Take(5), i => Assert.Equal(JsonValueKind.String, i.GetProperty("next_attempt_at").ValueKind));
        Assert.Equal(JsonValueKind.Null, items[5].GetProperty("next_attempt_at").ValueKind);
        Assert.True((await JsonAssert.OkAsync(await admin.GetAsync($"v1/{app.Id}/webhooks/{endpointId}"))).GetProperty("enabled").GetBoolean());

        // Manual replay: the same message, the same webhook-id, signed again.
        var replay = await admin.PostAsync($"v1/{app.Id}/webhooks/{endpointId}/deliveries/{items[0].GetProperty("id").GetString()}/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        var again = await _receiver.WaitUntilAsync(r => r.Count >= 7, what: "the replay");
        Assert.Equal(messageId, again[6].Id);
        Verify(again[6], secret);
    }

    [Fact]
    public async Task A_retry_after_on_429_or_503_is_honoured_even_when_shorter_than_the_schedule()
    {
        var portal = Portal(configure: p => { for (var i = 0; i < 7; i++) p.With($"Butterbase:Webhooks:RetrySchedule:{i}", "01:00:00"); });
        var app = await portal.CreateAppAsync();
        var (endpointId, _) = await AddEndpointAsync(portal, app, _receiver.Url);
        _receiver.Answer = r => r.Index == 0 ? (503, new Dictionary<string, string> { ["Retry-After"] = "1" }, null) : (200, null, null);
        using var admin = portal.Http(app.ApiKey);
        await admin.PostAsync($"v1/{app.Id}/webhooks/{endpointId}/test", null);
        var received = await _receiver.WaitUntilAsync(r => r.Count >= 2, TimeSpan.FromSeconds(20), "the retry after one second, not one hour");
        Assert.Equal(received[0].Id, received[1].Id);
    }

    [Fact]
    public async Task A_receiver_down_for_good_is_disabled_and_the_apps_other_endpoint_hears_of_it()
    {
        await using var healthy = await WebhookReceiver.StartAsync();
        var portal = Portal();
        var app = await portal.CreateAppAsync();
        var (downId, _) = await AddEndpointAsync(portal, app, _receiver.Url);
        var (_, healthySecret) = await AddEndpointAsync(portal, app, healthy.Url, "webhook.endpoint_disabled");
        _receiver.Answer = _ => (500, null, null);
        using var admin = portal.Http(app.ApiKey);
        await admin.PostAsync($"v1/{app.Id}/webhooks/{downId}/test", null);

        var notice = (await healthy.WaitUntilAsync(r => r.Count >= 1, what: "webhook.endpoint_disabled"))[0];
        Verify(notice, healthySecret);
        Assert.Equal("webhook.endpoint_disabled", notice.Type);
        Assert.Equal(downId, notice.Json.GetProperty("data").GetProperty("endpointId").GetString());
        Assert.Equal(8, _receiver.Requests.Count); // the first attempt and seven retries
        var row = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{app.Id}/webhooks/{downId}"));
        Assert.False(row.GetProperty("enabled").GetBoolean());
        Assert.Equal(JsonValueKind.String, row.GetProperty("disabled_reason").ValueKind);

        // Disabled: nothing more is sent to it until it is enabled again.
        await admin.PostAsync($"v1/{app.Id}/webhooks/{downId}/test", null);
        Assert.Equal(0, await portal.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default));
        Assert.Equal(8, _receiver.Requests.Count);
    }

    [Fact]
    public async Task A_crash_between_the_state_change_and_the_delivery_loses_nothing()
    {
        // The first instance commits the change but never sends (as if it died right after the commit).
        var first = Portal(send: false);
        first.KeepDirectory = true;
        var app = await first.CreateAppAsync("Acme", "https://app.example.com/");
        using (var admin = first.Http(app.ApiKey))
            await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = Slug })));
        var (_, secret) = await AddEndpointAsync(first, app, _receiver.Url);
        var connectionId = await first.ConnectThroughFakeAsync(app, _oauth, Slug, "bo");
        await first.DisposeAsync();
        _portals.Remove(first);
        Assert.Empty(_receiver.Requests);

        // A new process on the same database sends what the outbox holds.
        var second = Portal(directory: first.Directory);
        _ = second.Address;
        var received = await _receiver.WaitUntilAsync(r => r.Count >= 1, what: "connection.created after the restart");
        Assert.Equal("connection.created", received[0].Type);
        Assert.Equal(connectionId, received[0].Json.GetProperty("data").GetProperty("connectionId").GetString());
        Verify(received[0], secret);
        Assert.Equal(0, await second.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default));
        Assert.Single(_receiver.Requests);
        if (!PortalApplication.OnPostgres) try { Directory.Delete(first.Directory, true); } catch (IOException) { }
    }

    [Fact]
    public async Task Two_instances_on_one_database_deliver_each_event_exactly_once()
    {
        var a = Portal();
        var app = await a.CreateAppAsync();
        var b = Portal(directory: a.Directory);
        _ = b.Address;
        var (endpointId, secret) = await AddEndpointAsync(a, app, _receiver.Url);
        using var onA = a.Http(app.ApiKey);
        using var onB = b.Http(app.ApiKey);
        const int events = 40;
        var ids = await Task.WhenAll(Enumerable.Range(0, events).Select(async i =>
            (await JsonAssert.OkAsync(await (i % 2 == 0 ? onA : onB).PostAsync($"v1/{app.Id}/webhooks/{endpointId}/test", null))).GetProperty("message_id").GetString()));
        // Both senders run at once on every event as well: their claims must still let only one send each.
        var passes = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            (i % 2 == 0 ? a : b).Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default)));

        await _receiver.WaitUntilAsync(r => r.Select(x => x.Id).Distinct().Count() >= events, what: $"{events} distinct messages");
        Assert.Equal(0, await a.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default));
        Assert.Equal(0, await b.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default));
        var received = _receiver.Requests;
        Assert.Equal(events, received.Count);
        Assert.Equal(ids.Order(), received.Select(r => r.Id).Order());
        Assert.All(received, r => Verify(r, secret));
        await using var db = await a.Services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        Assert.Equal(events, await db.Set<WebhookAttempt>().CountAsync(x => x.EndpointId == endpointId));
        Assert.True(passes.Sum() <= events);
    }

    [Fact]
    public async Task During_a_rotation_both_secrets_sign_and_each_verifies()
    {
        var portal = Portal();
        var app = await portal.CreateAppAsync();
        var (endpointId, oldSecret) = await AddEndpointAsync(portal, app, _receiver.Url);
        using var admin = portal.Http(app.ApiKey);
        var rotated = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/webhooks/{endpointId}/rotate-secret", null));
        var newSecret = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal(newSecret, (await JsonAssert.OkAsync(await admin.GetAsync($"v1/{app.Id}/webhooks/{endpointId}/secret"))).GetProperty("secret").GetString());
        await admin.PostAsync($"v1/{app.Id}/webhooks/{endpointId}/test", null);

        var received = (await _receiver.WaitUntilAsync(r => r.Count >= 1))[0];
        var signatures = received.Headers["webhook-signature"].ToString().Split(' ');
        Assert.Equal(2, signatures.Length);
        Assert.All(signatures, s => Assert.StartsWith("v1,", s));
        // The new secret's signature comes first. StandardWebhooks 1.1.2 checks only the first signature of a header that
        // holds several (after the first it compares the whole header, a bug in its loop); the spec and the npm package
        // accept any. So a receiver on that library verifies once it has the new secret, which is what a rotation asks of it.
        Verify(received, newSecret);
        // Each signature on its own: one is the new secret's, the other the old one's.
        var onlyNew = new HeaderDictionary(received.Headers.ToDictionary(h => h.Key, h => h.Value)) { ["webhook-signature"] = signatures[0] };
        var onlyOld = new HeaderDictionary(received.Headers.ToDictionary(h => h.Key, h => h.Value)) { ["webhook-signature"] = signatures[1] };
        new StandardWebhook(newSecret).Verify(received.Body, onlyNew);
        new StandardWebhook(oldSecret).Verify(received.Body, onlyOld);
        Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() => new StandardWebhook(oldSecret).Verify(received.Body, onlyNew));
    }

    [Fact]
    public async Task Secrets_appear_only_in_the_create_secret_and_rotate_answers_never_in_other_answers_the_delivery_log_or_logs()
    {
        var portal = Portal();
        var app = await portal.CreateAppAsync();
        var (endpointId, secret) = await AddEndpointAsync(portal, app, _receiver.Url);
        // A receiver that echoes what it got (the signature, and the secret it was told) into its answer, which the log keeps.
        _receiver.Answer = r => (200, null, $"echo {r.Headers["webhook-signature"]} {secret}");
        using var admin = portal.Http(app.ApiKey);
        await admin.PostAsync($"v1/{app.Id}/webhooks/{endpointId}/test", null);
        var got = (await _receiver.WaitUntilAsync(r => r.Count >= 1))[0];
        var signature = got.Headers["webhook-signature"].ToString();
        Assert.Equal(0, await portal.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default));

        var key = secret["whsec_".Length..];
        var texts = new List<string>
        {
            await admin.GetStringAsync($"v1/{app.Id}/webhooks"),
            await admin.GetStringAsync($"v1/{app.Id}/webhooks/{endpointId}"),
            await (await admin.PatchAsync($"v1/{app.Id}/webhooks/{endpointId}", JsonAssert.Body(new { events = new[] { "webhook.test" } }))).Content.ReadAsStringAsync(),
            await admin.GetStringAsync($"v1/{app.Id}/webhooks/{endpointId}/deliveries"),
            _logs.All,
            await portal.DumpDatabaseAsync(),
        };
        Assert.All(texts, t => { Assert.DoesNotContain(key, t); Assert.DoesNotContain(signature[3..], t); });
        var deliveries = texts[3];
        Assert.Contains("v1,[redacted]", deliveries);
        Assert.Contains("echo", deliveries);

        // Only the app's key (admin) reaches webhooks: an end user's token is refused, another app sees nothing.
        using var user = portal.Http(await portal.UserTokenAsync(app, "u1"));
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync($"v1/{app.Id}/webhooks/{endpointId}/secret")).StatusCode);
        var other = await portal.CreateAppAsync("Other");
        using var stranger = portal.Http(other.ApiKey);
        var refused = await stranger.GetAsync($"v1/{app.Id}/webhooks/{endpointId}/secret");
        Assert.Contains(refused.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
        await JsonAssert.ErrorAsync(await stranger.GetAsync($"v1/{other.Id}/webhooks/{endpointId}/secret"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Private_and_loopback_endpoint_urls_are_refused_unless_the_operator_allows_them_and_the_receiver_sees_nothing()
    {
        var portal = Portal(send: false, configure: p => p.With("Butterbase:Outbound:AllowPrivateNetworks", "false"));
        var app = await portal.CreateAppAsync();
        using var admin = portal.Http(app.ApiKey);
        var port = new Uri(_receiver.Url).Port;
        foreach (var url in new[]
                 {
                     _receiver.Url, $"https://127.0.0.1:{port}/hooks", "https://localhost/hooks", "https://[::1]/hooks", "https://10.0.0.7/hooks",
                     "https://169.254.169.254/latest", "https://2130706433/hooks", "https://[::ffff:127.0.0.1]/hooks", "ftp://example.com/x",
                     "https://user:pw@example.com/hooks", "not a url",
                 })
        {
            var body = await JsonAssert.ErrorAsync(await admin.PostAsync($"v1/{app.Id}/webhooks", JsonAssert.Body(new { url })), HttpStatusCode.UnprocessableEntity, "validation_failed");
            Assert.Equal("url", body.GetProperty("details")[0].GetProperty("field").GetString());
        }
        await JsonAssert.ErrorAsync(await admin.PostAsync($"v1/{app.Id}/webhooks", JsonAssert.Body(new { url = "https://example.com/x", events = new[] { "connection.nope" } })),
            HttpStatusCode.UnprocessableEntity, "validation_failed");

        // A stored URL that points at loopback when it is used (a name re-resolved, a row from before): the socket is never opened.
        var (endpoint, _, _) = await portal.Services.GetRequiredService<WebhookEndpoints>().CreateAsync(app.Id, _receiver.Url, null, true);
        await admin.PostAsync($"v1/{app.Id}/webhooks/{endpoint!.Id}/test", null);
        Assert.Equal(1, await portal.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default));
        Assert.Empty(_receiver.Requests);
        var log = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{app.Id}/webhooks/{endpoint.Id}/deliveries"));
        Assert.Equal("The address could not be reached.", log.GetProperty("items")[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task Failed_connection_requests_are_events_and_failed_executions_go_only_where_opted_in()
    {
        var portal = Portal();
        var app = await portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = Slug })));
        await using var optedIn = await WebhookReceiver.StartAsync();
        var (_, secret) = await AddEndpointAsync(portal, app, _receiver.Url);                     // every event but execution.failed
        var (_, optedSecret) = await AddEndpointAsync(portal, app, optedIn.Url, "execution.failed");

        // The user refuses at the provider: the callback fails the request.
        _oauth.DenyNext();
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/connect",
            JsonAssert.Body(new { toolkit = Slug, redirectUrl = FakeConnections.ReturnUrl, userId = "cy" })));
        using (var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }))
        {
            var toCallback = (await browser.GetAsync(started.GetProperty("authUrl").GetString())).Headers.Location!;
            Assert.Contains("status=failed", (await browser.GetAsync(toCallback)).Headers.Location!.ToString());
        }
        var failed = (await _receiver.WaitUntilAsync(r => r.Any(x => x.Type == "connection_request.failed"), what: "connection_request.failed"))
            .Single(x => x.Type == "connection_request.failed");
        Verify(failed, secret);
        Assert.Equal(started.GetProperty("connectionRequestId").GetString(), failed.Json.GetProperty("data").GetProperty("connectionRequestId").GetString());
        Assert.Equal("access_denied", failed.Json.GetProperty("data").GetProperty("reason").GetString());

        // A failed execution (the provider answers 500) goes only to the endpoint that named execution.failed.
        await portal.ConnectThroughFakeAsync(app, _oauth, Slug, "cy");
        _projectsStatus = 500;
        Assert.False((await ExecuteAsync(portal, app, "cy")).GetProperty("successful").GetBoolean());
        _projectsStatus = 200;
        var execution = (await optedIn.WaitUntilAsync(r => r.Count >= 1, what: "execution.failed"))[0];
        Verify(execution, optedSecret);
        Assert.Equal("execution.failed", execution.Type);
        Assert.Equal("ASANA_GET_PROJECTS", execution.Json.GetProperty("data").GetProperty("toolName").GetString());
        Assert.Equal(0, await portal.Services.GetRequiredService<WebhookDispatcher>().RunDueAsync(default));
        Assert.DoesNotContain(_receiver.Requests, r => r.Type == "execution.failed");
        Assert.Single(optedIn.Requests);
    }

    [Fact]
    public async Task A_function_that_throws_is_a_function_failed_event()
    {
        var portal = Portal();
        var app = await portal.CreateAppAsync();
        var (_, secret) = await AddEndpointAsync(portal, app, _receiver.Url, "function.failed");
        using var admin = portal.Http(app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/functions",
            JsonAssert.Body(new { name = "broken", code = "export default async function handler(ctx) { throw new Error('boom'); }" })));
        Assert.Equal(HttpStatusCode.InternalServerError, (await admin.PostAsync($"v1/{app.Id}/fn/broken", JsonAssert.Body(new { }))).StatusCode);

        var received = (await _receiver.WaitUntilAsync(r => r.Count >= 1, what: "function.failed"))[0];
        Verify(received, secret);
        Assert.Equal("function.failed", received.Type);
        var data = received.Json.GetProperty("data");
        Assert.Equal("broken", data.GetProperty("function").GetString());
        Assert.Equal("function_error", data.GetProperty("reason").GetString());
        Assert.StartsWith("inv_", data.GetProperty("invocationId").GetString());
    }
}
