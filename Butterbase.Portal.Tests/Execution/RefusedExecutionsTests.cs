using System.Net;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// The executions log is a real log (docs/api.md "GET /v1/{appId}/integrations/executions"): an execute refused before any
/// provider call (404 unknown_tool, 409 toolkit_not_enabled / no_connection, 422 invalid_params) is a row with status
/// `refused`, its code, the status the API answered, its source and the parameters redacted. Before, a refused call left
/// no row at all, and the log's quota had no notion of them: these tests failed on the first assertion.
/// </summary>
public sealed class RefusedExecutionsTests : IAsyncLifetime
{
    private const string Slug = "asana";
    private const int MaxRuns = 20, MaxRefused = 10;
    private FakeOAuthProvider _oauth = default!;
    private FakeProviderApi _api = default!;
    private PortalApplication _portal = default!;
    private TestApp _app = default!;

    public async Task InitializeAsync()
    {
        _oauth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic);
        _api = await FakeProviderApi.StartAsync();
        _api.On("GET", "/projects", _ => (200, new { data = new[] { new { gid = "p1" } } }, null));
        _portal = new PortalApplication()
            .With("Butterbase:RateLimit:PermitsPerApp", "100000")
            .With("Butterbase:Executions:MaxRowsPerApp", MaxRuns.ToString())
            .With("Butterbase:Executions:MaxRefusedRowsPerApp", MaxRefused.ToString())
            .With("Butterbase:Executions:RefusedRowsPerMinute", "0"); // every refused call logged (the rate cap has its own test)
        foreach (var (key, value) in _oauth.SettingsFor(Slug)) _portal.With(key, value);
        _portal.With($"Butterbase:Toolkits:{Slug}:ApiBaseUrl", _api.BaseUrl);
        _app = await _portal.CreateAppAsync("Refusals", "https://app.example.com/");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = Slug })));
        await _portal.ConnectThroughFakeAsync(_app, _oauth, Slug, "u1");
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _oauth.DisposeAsync();
        await _api.DisposeAsync();
    }

    private static async Task<HttpResponseMessage> ExecuteAsync(PortalApplication portal, TestApp app, object body)
    {
        using var client = portal.Http(app.ApiKey);
        var response = await client.PostAsync($"v1/{app.Id}/integrations/execute", JsonAssert.Body(body));
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private Task FlushAsync() => _portal.Services.GetRequiredService<ExecutionLog>().FlushAsync();

    private async Task<List<ExecutionRecord>> RowsAsync()
    {
        await using var db = await _portal.Services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        return await db.Executions.AsNoTracking().Where(e => e.AppId == _app.Id).ToListAsync();
    }

    [Fact]
    public async Task Refused_executes_are_rows_of_the_executions_api_with_their_code_status_and_source()
    {
        await JsonAssert.ErrorAsync(await ExecuteAsync(_portal, _app, new { toolName = "NOPE_TOOL", userId = "u1" }), HttpStatusCode.NotFound, "unknown_tool");
        await JsonAssert.ErrorAsync(await ExecuteAsync(_portal, _app, new { toolName = "GITHUB_CREATE_ISSUE", userId = "u1", @params = new { owner = "o", repo = "r", title = "t" } }),
            HttpStatusCode.Conflict, "toolkit_not_enabled");
        await JsonAssert.ErrorAsync(await ExecuteAsync(_portal, _app, new { toolName = "ASANA_GET_PROJECTS", userId = "nobody", @params = new { } }),
            HttpStatusCode.Conflict, "no_connection");
        await JsonAssert.ErrorAsync(await ExecuteAsync(_portal, _app, new { toolName = "ASANA_GET_GOAL", userId = "u1", @params = new { opt_pretty = "yes please" } }),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        var run = await JsonAssert.OkAsync(await ExecuteAsync(_portal, _app, new { toolName = "ASANA_GET_PROJECTS", userId = "u1", @params = new { } }));
        await FlushAsync();

        using var admin = _portal.Http(_app.ApiKey);
        var page = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions?status=refused"));
        var items = page.GetProperty("items").EnumerateArray().ToList();
        var byCode = items.ToDictionary(i => i.GetProperty("error_code").GetString()!);
        Assert.Equal(["invalid_params", "no_connection", "toolkit_not_enabled", "unknown_tool"], byCode.Keys.Order());
        Assert.All(items, i => Assert.Equal("refused", i.GetProperty("status").GetString()));
        Assert.All(items, i => Assert.Equal("api", i.GetProperty("source").GetString()));
        Assert.Equal(404, byCode["unknown_tool"].GetProperty("http_status").GetInt32());
        Assert.Equal("NOPE_TOOL", byCode["unknown_tool"].GetProperty("tool").GetString());
        Assert.Equal(409, byCode["no_connection"].GetProperty("http_status").GetInt32());
        Assert.Equal("nobody", byCode["no_connection"].GetProperty("user_id").GetString());
        Assert.Equal(422, byCode["invalid_params"].GetProperty("http_status").GetInt32());
        Assert.Equal("ASANA_GET_GOAL", byCode["invalid_params"].GetProperty("tool").GetString());
        Assert.Equal("asana", byCode["invalid_params"].GetProperty("toolkit").GetString());

        // One row's detail: what was asked (redacted) and why it was refused.
        var detail = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions/{byCode["invalid_params"].GetProperty("id").GetString()}"));
        Assert.Equal("""{"opt_pretty":"(string, 10 chars)"}""", detail.GetProperty("request").GetString()); // its shape, never a value
        Assert.Contains("invalid_params", detail.GetProperty("response").GetString());

        // The run is still a run, and the other filters leave the refused rows out.
        var successful = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions?status=successful"));
        Assert.Equal([run.GetProperty("executionId").GetString()], successful.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        var failed = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions?status=failed"));
        Assert.Empty(failed.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_credential_put_into_a_refused_calls_parameters_is_never_stored()
    {
        const string stripeKey = "sk_live_51HxQwErTyUiOpAsDfGhJkL0987654321";
        const string githubToken = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
        const string opaque = "Zx9fK2mQ7rT4vW8yB1nC5dE3gH6jL0pS2uA4";
        await JsonAssert.ErrorAsync(await ExecuteAsync(_portal, _app, new
        {
            toolName = "ASANA_GET_GOAL", userId = "u1",
            @params = new { api_key = "plain-but-named-key", note = githubToken, nested = new { list = new[] { stripeKey, "harmless" }, password = "hunter2hunter2" }, blob = opaque },
        }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        await FlushAsync();

        var row = Assert.Single(await RowsAsync());
        Assert.Equal("invalid_params", row.ErrorCode);
        Assert.Equal(422, row.HttpStatus);
        Assert.False(row.Successful);
        foreach (var secret in new[] { "plain-but-named-key", githubToken, stripeKey, "hunter2hunter2", opaque })
        {
            Assert.DoesNotContain(secret, row.Request);
            Assert.DoesNotContain(secret, row.Response ?? "");
        }
        Assert.Contains($"\"nested\":{{\"list\":[\"(string, {stripeKey.Length} chars)\",\"(string, 8 chars)\"]", row.Request); // the shape of what was asked
        Assert.DoesNotContain("harmless", row.Request);
    }

    /// <summary>
    /// An attacker's (or a careless caller's) inputs that a name list or a prefix pattern would miss: none of their values
    /// reaches the row, and text that is not Unicode on a call refused before validation is still a 404, not a 500.
    /// </summary>
    [Fact]
    public async Task No_value_of_a_refused_call_is_stored_whatever_its_name_place_or_shape()
    {
        const string token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
        await JsonAssert.ErrorAsync(await ExecuteAsync(_portal, _app, new
        {
            toolName = "ASANA_GET_GOAL", userId = "u1",
            @params = new Dictionary<string, object>
            {
                ["pwd"] = "Hunter2!x", ["cookie"] = "sid=s3ssion-value", ["note"] = "use sk_live_51Hxyz0987 please",
                ["url"] = "https://bob:S3cretPw@h.example/x?access_token=abc123", ["dsn"] = "Server=db;Password=p4ssw0rd",
                ["card"] = 4111111111111111, [token] = 1, ["nested"] = new { pin = "8642" },
            },
        }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        await JsonAssert.ErrorAsync(await ExecuteAsync(_portal, _app, new { toolName = token, userId = "u1" }), HttpStatusCode.NotFound, "unknown_tool");
        using (var client = _portal.Http(_app.ApiKey))
        {
            var raw = new StringContent("""{"toolName":"NOPE","userId":"u1","params":{"a":"\ud800","\udfff":1}}""", System.Text.Encoding.UTF8, "application/json");
            await JsonAssert.ErrorAsync(await client.PostAsync($"v1/{_app.Id}/integrations/execute", raw), HttpStatusCode.NotFound, "unknown_tool");
        }
        await FlushAsync();

        var rows = await RowsAsync();
        Assert.Equal(3, rows.Count);
        foreach (var secret in new[] { "Hunter2!x", "s3ssion-value", "sk_live_51Hxyz0987", "S3cretPw", "abc123", "p4ssw0rd", "4111111111111111", token, "8642" })
            Assert.All(rows, row => Assert.DoesNotContain(secret, (row.Request ?? "") + row.Response + row.ToolName));
        var invalid = Assert.Single(rows, r => r.ErrorCode == "invalid_params");
        Assert.Contains("\"card\":\"(number)\"", invalid.Request);
        Assert.Contains("\"(name 1)\":\"(number)\"", invalid.Request); // a token used as a name is not kept either
        var pasted = Assert.Single(rows, r => r.ErrorCode == "unknown_tool" && r.ToolName != "NOPE");
        Assert.Equal(ExecutionRecorder.UnnamedTool, pasted.ToolName);
        Assert.Single(rows, r => r.ToolName == "NOPE" && r.Request is null); // not Unicode: nothing of it kept
    }

    /// <summary>
    /// A refused proxy call is a row too (named for its toolkit when there is one), and keeps none of the caller's text:
    /// a token in the path, a query value, a header or the toolkit field is not stored.
    /// </summary>
    [Fact]
    public async Task Refused_proxy_calls_are_rows_that_keep_no_path_query_header_or_toolkit_text()
    {
        const string token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
        using var admin = _portal.Http(_app.ApiKey);
        async Task Proxy(object body, HttpStatusCode status, string code) =>
            await JsonAssert.ErrorAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/proxy", JsonAssert.Body(body)), status, code);

        await Proxy(new { toolkit = token, userId = "u1", method = "GET", path = "/projects" }, HttpStatusCode.NotFound, "unknown_toolkit");
        await Proxy(new { toolkit = "github", userId = "u1", method = "GET", path = "/user" }, HttpStatusCode.Conflict, "toolkit_not_enabled");
        await Proxy(new { toolkit = Slug, userId = "nobody", method = "GET", path = "/projects?key=" + token }, HttpStatusCode.Conflict, "no_connection");
        await Proxy(new { toolkit = Slug, userId = "u1", method = "GET", path = "https://evil.example/" + token }, HttpStatusCode.UnprocessableEntity, "invalid_request");
        await Proxy(new Dictionary<string, object>
        {
            ["toolkit"] = Slug, ["userId"] = "u1", ["method"] = "GET", ["path"] = "/projects",
            ["query"] = new Dictionary<string, object> { ["ok"] = "a\nb" + token }, ["headers"] = new Dictionary<string, string> { ["X-" + token] = token },
        }, HttpStatusCode.UnprocessableEntity, "invalid_request");
        await FlushAsync();

        var rows = await RowsAsync();
        Assert.Equal(5, rows.Count);
        Assert.All(rows, r => Assert.False(r.Successful));
        Assert.All(rows, r => Assert.DoesNotContain(token, (r.Request ?? "") + r.Response + r.ToolName + r.ToolkitSlug));
        Assert.Single(rows, r => r.ToolName == ExecutionRecorder.UnknownProxy && r.ErrorCode == "unknown_toolkit" && r.HttpStatus == 404);
        Assert.Single(rows, r => r.ToolName == "GITHUB_PROXY" && r.ErrorCode == "toolkit_not_enabled" && r.HttpStatus == 409);
        var noConnection = Assert.Single(rows, r => r.ErrorCode == "no_connection");
        Assert.Equal(("ASANA_PROXY", "asana", "nobody"), (noConnection.ToolName, noConnection.ToolkitSlug, noConnection.UserId));
        Assert.Equal($"GET (a path of {("/projects?key=" + token).Length} characters)", noConnection.Request);
        var invalid = rows.Where(r => r.ErrorCode == "invalid_request").ToList();
        Assert.Equal(2, invalid.Count);
        Assert.Single(invalid, r => r.ConnectionId is null); // the query and header, refused before any connection was read
        Assert.Single(invalid, r => r.ConnectionId is not null); // the URL off the API host, refused once the connection was chosen
        var listed = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions?status=refused"));
        Assert.Equal(5, listed.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_flood_of_refused_calls_stays_within_its_own_quota_and_never_pushes_out_the_apps_runs()
    {
        var runs = new List<string>();
        for (var i = 0; i < 5; i++)
            runs.Add((await JsonAssert.OkAsync(await ExecuteAsync(_portal, _app, new { toolName = "ASANA_GET_PROJECTS", userId = "u1", @params = new { } })))
                .GetProperty("executionId").GetString()!);
        await FlushAsync();
        for (var i = 0; i < (MaxRuns + MaxRefused) * 3; i++)
            await JsonAssert.ErrorAsync(await ExecuteAsync(_portal, _app, new { toolName = $"NOPE_{i}", userId = "attacker" }), HttpStatusCode.NotFound, "unknown_tool");
        await FlushAsync();

        var rows = await RowsAsync();
        Assert.Equal(runs.Order(), rows.Where(r => r.HttpStatus is null).Select(r => r.Id).Order()); // every run kept
        var refused = rows.Where(r => r.HttpStatus is not null).ToList();
        Assert.InRange(refused.Count, MaxRefused, MaxRefused + LogQuota.Slack(MaxRuns));
        Assert.Contains(refused, r => r.ToolName == $"NOPE_{(MaxRuns + MaxRefused) * 3 - 1}"); // the newest refusals are the ones kept
        Assert.DoesNotContain(refused, r => r.ToolName == "NOPE_0");
    }

    [Fact]
    public async Task Refused_rows_are_rate_capped_per_app_so_a_flood_queues_few_rows()
    {
        var capped = new PortalApplication(directory: _portal.Directory)
            .With("Butterbase:RateLimit:PermitsPerApp", "100000")
            .With("Butterbase:Executions:RefusedRowsPerMinute", "6");
        await using var _ = capped;
        for (var i = 0; i < 40; i++)
            await JsonAssert.ErrorAsync(await ExecuteAsync(capped, _app, new { toolName = "NOPE_TOOL", userId = "attacker" }), HttpStatusCode.NotFound, "unknown_tool");
        await capped.Services.GetRequiredService<ExecutionLog>().FlushAsync();

        // 6 at once, one more per 10 s: a test of a few seconds sees 6, maybe 7.
        Assert.InRange((await RowsAsync()).Count(r => r.HttpStatus is not null), 6, 7);
    }
}
