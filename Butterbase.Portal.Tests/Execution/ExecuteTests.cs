using System.Net;
using System.Text;
using System.Text.Json;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Sandbox;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>`POST /execute` against the Sandbox (a real OAuth server and API) and provider-API fakes for Gmail and Slack.</summary>
public sealed class ExecuteTests : IAsyncLifetime
{
    private FakeOAuthProvider _google = default!, _slack = default!;
    private FakeProviderApi _gmailApi = default!, _slackApi = default!;
    private PortalApplication _portal = default!;
    private TestApp _app = default!;
    private string Base => $"v1/{_app.Id}/integrations";

    public async Task InitializeAsync()
    {
        _google = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Google);
        _slack = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Slack);
        _gmailApi = await FakeProviderApi.StartAsync();
        _gmailApi.AcceptsToken = _google.IsAccessTokenActive;
        _gmailApi.On("POST", "/gmail/v1/users/me/messages/send", _ => (200, new { id = "msg_123", threadId = "thr_9", labelIds = new[] { "SENT" } }, null));
        _slackApi = await FakeProviderApi.StartAsync();
        _slackApi.On("POST", "/api/chat.postMessage", r =>
            r.Json?["channel"]?.GetValue<string>() == "#missing"
                ? (200, new { ok = false, error = "channel_not_found" }, null)
                : (200, new { ok = true, channel = "C0123", ts = "1700000000.000100", message = new { text = r.Json?["text"]?.GetValue<string>() } }, null));

        _portal = new PortalApplication().With("Butterbase:Sandbox:Enabled", "true");
        foreach (var (key, value) in _google.SettingsFor("gmail")) _portal.With(key, value);
        foreach (var (key, value) in _slack.SettingsFor("slack")) _portal.With(key, value);
        _portal.With("Butterbase:Toolkits:gmail:ApiBaseUrl", _gmailApi.BaseUrl);
        _portal.With("Butterbase:Toolkits:slack:ApiBaseUrl", _slackApi.BaseUrl + "/api");
        _app = await _portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = _portal.Http(_app.ApiKey);
        foreach (var toolkit in new[] { "sandbox", "gmail", "slack" })
            await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit })));
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        foreach (var d in new IAsyncDisposable[] { _google, _slack, _gmailApi, _slackApi }) await d.DisposeAsync();
    }

    private async Task<string> ConnectSandboxAsync(string user, string email)
    {
        using var admin = _portal.Http(_app.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = "sandbox", redirectUrl = "https://app.example.com/back", userId = user })));
        using var driver = new SandboxDriver(_portal);
        var form = await driver.ConsentPageAsync(started.GetProperty("authUrl").GetString()!);
        var toCallback = await driver.SubmitAsync(form, "allow", email);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var done = await browser.GetAsync(toCallback.Headers.Location);
        return QueryHelpers.ParseQuery(done.Headers.Location!.Query)["connectionId"].ToString();
    }

    private async Task<string> ConnectFakeAsync(FakeOAuthProvider fake, string slug, string user, string email)
    {
        fake.NextAccount(email);
        using var admin = _portal.Http(_app.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect", JsonAssert.Body(new { toolkit = slug, redirectUrl = "https://app.example.com/back", userId = user })));
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var toCallback = await browser.GetAsync(started.GetProperty("authUrl").GetString());
        var done = await browser.GetAsync(toCallback.Headers.Location);
        return QueryHelpers.ParseQuery(done.Headers.Location!.Query)["connectionId"].ToString();
    }

    private async Task<HttpResponseMessage> ExecuteAsync(HttpClient client, object body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{Base}/execute") { Content = JsonAssert.Body(body) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_user_sends_and_lists_sandbox_messages_through_the_real_provider()
    {
        await ConnectSandboxAsync("sam", "sam@sandbox.test");
        using var user = _portal.Http(await _portal.UserTokenAsync(_app, "sam"));
        var sent = await JsonAssert.OkAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_SEND_MESSAGE", @params = new { to = "bob@sandbox.test", text = "Hello from Butterbase" } }));
        Assert.True(sent.GetProperty("successful").GetBoolean(), sent.ToString());
        Assert.StartsWith("ex_", sent.GetProperty("executionId").GetString());
        Assert.Equal("Hello from Butterbase", sent.GetProperty("data").GetProperty("text").GetString());

        using var admin = _portal.Http(_app.ApiKey);
        var listed = await JsonAssert.OkAsync(await ExecuteAsync(admin, new { toolName = "SANDBOX_LIST_MESSAGES", @params = new { }, userId = "sam" }));
        Assert.Contains(listed.GetProperty("data").GetProperty("messages").EnumerateArray(), m => m.GetProperty("text").GetString() == "Hello from Butterbase");
        var profile = await JsonAssert.OkAsync(await ExecuteAsync(admin, new { toolName = "SANDBOX_GET_PROFILE", userId = "sam" }));
        Assert.Equal("sam@sandbox.test", profile.GetProperty("data").GetProperty("email").GetString());

        await _portal.Services.GetRequiredService<ExecutionLog>().FlushAsync();
        await using var scope = _portal.Services.CreateAsyncScope();
        var records = await scope.ServiceProvider.GetRequiredService<PortalDb>().Executions.Where(e => e.UserId == "sam").ToListAsync();
        Assert.Equal(3, records.Count);
        Assert.All(records, r => Assert.True(r.Successful));
        Assert.Contains(records, r => r.Request!.StartsWith("POST ") && r.Request.EndsWith("/sandbox/api/messages"));
    }

    [Fact]
    public async Task Gmail_send_posts_an_rfc5322_message_and_returns_the_message_id()
    {
        await ConnectFakeAsync(_google, "gmail", "gina", "gina@example.com");
        using var admin = _portal.Http(_app.ApiKey);
        var result = await JsonAssert.OkAsync(await ExecuteAsync(admin, new
        {
            toolName = "GMAIL_SEND_EMAIL", userId = "gina",
            @params = new { to = "Ann Example <ann@example.com>, bob@example.com", subject = "Grüße – Welcome!", body = "Thanks for signing up.", cc = "carl@example.com" },
        }));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        Assert.Equal("msg_123", result.GetProperty("data").GetProperty("messageId").GetString());

        var received = _gmailApi.Requests.Last(r => r.Path == "/gmail/v1/users/me/messages/send");
        Assert.StartsWith("Bearer ", received.Headers["Authorization"]);
        var raw = received.Json!["raw"]!.GetValue<string>();
        var message = MimeMessage.Load(new MemoryStream(WebEncoders.Base64UrlDecode(raw)));
        Assert.Equal(["ann@example.com", "bob@example.com"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("carl@example.com", message.Cc.Mailboxes.Single().Address);
        Assert.Equal("Grüße – Welcome!", message.Subject);
        Assert.Equal("Thanks for signing up.", message.TextBody?.Trim());
    }

    [Fact]
    public async Task Slack_ok_false_is_a_failed_result_and_ok_true_returns_channel_and_ts()
    {
        await ConnectFakeAsync(_slack, "slack", "sid", "sid@example.com");
        using var admin = _portal.Http(_app.ApiKey);
        var ok = await JsonAssert.OkAsync(await ExecuteAsync(admin, new { toolName = "SLACK_SEND_MESSAGE", userId = "sid", @params = new { channel = "#general", text = "Hello from my app" } }));
        Assert.True(ok.GetProperty("successful").GetBoolean(), ok.ToString());
        Assert.Equal("C0123", ok.GetProperty("data").GetProperty("channel").GetString());
        Assert.Equal("1700000000.000100", ok.GetProperty("data").GetProperty("ts").GetString());
        var sent = _slackApi.Requests.Last(r => r.Path == "/api/chat.postMessage");
        Assert.Equal("#general", sent.Json!["channel"]!.GetValue<string>());
        Assert.StartsWith("Bearer xoxb-", sent.Headers["Authorization"]);

        var failed = await JsonAssert.OkAsync(await ExecuteAsync(admin, new { toolName = "SLACK_SEND_MESSAGE", userId = "sid", @params = new { channel = "#missing", text = "x" } }));
        Assert.False(failed.GetProperty("successful").GetBoolean());
        Assert.Equal("upstream_error", failed.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("channel_not_found", failed.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("channel_not_found", failed.GetProperty("data").GetProperty("error").GetString());
    }

    [Fact]
    public async Task Bad_calls_get_the_documented_errors_before_any_provider_call()
    {
        using var admin = _portal.Http(_app.ApiKey);
        var before = _gmailApi.Requests.Count;
        await JsonAssert.ErrorAsync(await ExecuteAsync(admin, new { toolName = "NOPE_TOOL", userId = "u" }), HttpStatusCode.NotFound, "unknown_tool");
        await JsonAssert.ErrorAsync(await ExecuteAsync(admin, new { toolName = "GITHUB_CREATE_ISSUE", userId = "u", @params = new { owner = "o", repo = "r", title = "t" } }), HttpStatusCode.Conflict, "toolkit_not_enabled");
        var noConnection = await JsonAssert.ErrorAsync(await ExecuteAsync(admin, new { toolName = "GMAIL_SEND_EMAIL", userId = "nobody", @params = new { to = "a@example.com", subject = "s", body = "b" } }), HttpStatusCode.Conflict, "no_connection");
        Assert.Contains("POST /connect", noConnection.GetProperty("message").GetString());
        var invalid = await JsonAssert.ErrorAsync(await ExecuteAsync(admin, new { toolName = "GMAIL_SEND_EMAIL", userId = "nobody", @params = new { subject = 5, extra = 1 } }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        var fields = invalid.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()).ToList();
        Assert.Contains("to", fields);
        Assert.Contains("subject", fields);
        var missingUser = await JsonAssert.ErrorAsync(await ExecuteAsync(admin, new { toolName = "GMAIL_SEND_EMAIL" }), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal("userId", missingUser.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(before, _gmailApi.Requests.Count);

        await admin.DeleteAsync($"{Base}/configure/slack");
        await JsonAssert.ErrorAsync(await ExecuteAsync(admin, new { toolName = "SLACK_SEND_MESSAGE", userId = "u", @params = new { channel = "#g", text = "t" } }), HttpStatusCode.Conflict, "toolkit_disabled");
        await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "slack" }));
    }

    [Fact]
    public async Task Several_accounts_need_a_connection_id_and_an_idempotency_key_replays_the_first_result()
    {
        await ConnectSandboxAsync("multi", "one@sandbox.test");
        var second = await ConnectSandboxAsync("multi", "two@sandbox.test");
        using var user = _portal.Http(await _portal.UserTokenAsync(_app, "multi"));
        await JsonAssert.ErrorAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_GET_PROFILE" }), HttpStatusCode.Conflict, "connection_ambiguous");
        var picked = await JsonAssert.OkAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_GET_PROFILE", connectionId = second }));
        Assert.Equal("two@sandbox.test", picked.GetProperty("data").GetProperty("email").GetString());

        var first = await JsonAssert.OkAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_SEND_MESSAGE", connectionId = second, @params = new { to = "x@sandbox.test", text = "once" } }, "key-1"));
        var repeat = await JsonAssert.OkAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_SEND_MESSAGE", connectionId = second, @params = new { to = "x@sandbox.test", text = "once" } }, "key-1"));
        Assert.Equal(first.GetProperty("executionId").GetString(), repeat.GetProperty("executionId").GetString());
        var list = await JsonAssert.OkAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_LIST_MESSAGES", connectionId = second }));
        Assert.Single(list.GetProperty("data").GetProperty("messages").EnumerateArray(), m => m.GetProperty("text").GetString() == "once");

        // Another user's token cannot act for this one.
        await JsonAssert.ErrorAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_GET_PROFILE", userId = "someone-else" }), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Concurrent_first_requests_with_one_idempotency_key_reach_the_provider_once()
    {
        var connection = await ConnectSandboxAsync("racer", "racer@sandbox.test");
        using var user = _portal.Http(await _portal.UserTokenAsync(_app, "racer"));
        var body = new { toolName = "SANDBOX_SEND_MESSAGE", connectionId = connection, @params = new { to = "y@sandbox.test", text = "exactly once" } };
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ExecuteAsync(user, body, "race-key")));

        var ok = answers.Where(a => a.StatusCode == HttpStatusCode.OK).ToList();
        Assert.NotEmpty(ok);
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, a.StatusCode.ToString()));
        foreach (var conflict in answers.Where(a => a.StatusCode == HttpStatusCode.Conflict))
            await JsonAssert.ErrorAsync(conflict, HttpStatusCode.Conflict, "idempotency_in_progress");
        var ids = new HashSet<string>();
        foreach (var answer in ok) ids.Add((await JsonAssert.OkAsync(answer)).GetProperty("executionId").GetString()!);
        Assert.Single(ids); // every 200 is the one run's answer

        // After it finished, a repeat gets that answer too; and the message exists once at the provider.
        var repeat = await JsonAssert.OkAsync(await ExecuteAsync(user, body, "race-key"));
        Assert.Equal(ids.Single(), repeat.GetProperty("executionId").GetString());
        var list = await JsonAssert.OkAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_LIST_MESSAGES", connectionId = connection }));
        Assert.Single(list.GetProperty("data").GetProperty("messages").EnumerateArray(), m => m.GetProperty("text").GetString() == "exactly once");
    }

    [Fact]
    public async Task A_request_refused_before_any_provider_call_does_not_use_up_its_idempotency_key()
    {
        await ConnectSandboxAsync("fixer", "fixer@sandbox.test");
        using var user = _portal.Http(await _portal.UserTokenAsync(_app, "fixer"));
        await JsonAssert.ErrorAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_SEND_MESSAGE", @params = new { to = "z@sandbox.test" } }, "fix-key"),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        var corrected = await JsonAssert.OkAsync(await ExecuteAsync(user, new { toolName = "SANDBOX_SEND_MESSAGE", @params = new { to = "z@sandbox.test", text = "fixed" } }, "fix-key"));
        Assert.True(corrected.GetProperty("successful").GetBoolean(), corrected.ToString());
    }
}
