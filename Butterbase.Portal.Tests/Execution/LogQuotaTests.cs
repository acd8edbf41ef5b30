using System.Net;
using System.Text;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// Per-app quotas on the execution and invocation logs (docs/security.md [37]): app A floods its logs far past its quota, app B
/// wrote a few rows before the flood (so B's are the oldest in the database). A loses only its own oldest rows, keeps
/// its newest, and its log says it was truncated; B keeps every row. Before the quotas, A's rows all stayed for the
/// retention period (14 days): no row was dropped, no mark, and a 64 KB console line was stored whole.
/// </summary>
public sealed class LogQuotaTests : IAsyncLifetime
{
    private const string Slug = "asana";
    private const string Tool = "ASANA_GET_PROJECTS";
    private const int MaxRows = 20, MaxInvocations = 10, MaxText = 2048;
    private FakeOAuthProvider _oauth = default!;
    private FakeProviderApi _api = default!;
    private PortalApplication _portal = default!;
    private TestApp _a = default!, _b = default!;

    public async Task InitializeAsync()
    {
        _oauth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic);
        _api = await FakeProviderApi.StartAsync();
        _api.On("GET", "/projects", _ => (200, new { data = new[] { new { gid = "p1", notes = new string('n', 10_000) } } }, null));
        _portal = new PortalApplication()
            .With("Butterbase:RateLimit:PermitsPerApp", "100000")
            .With("Butterbase:Executions:MaxRowsPerApp", MaxRows.ToString())
            .With("Butterbase:Executions:MaxInvocationRowsPerApp", MaxInvocations.ToString())
            .With("Butterbase:Executions:MaxTextBytesPerRow", MaxText.ToString());
        foreach (var (key, value) in _oauth.SettingsFor(Slug)) _portal.With(key, value);
        _portal.With($"Butterbase:Toolkits:{Slug}:ApiBaseUrl", _api.BaseUrl);
        _a = await _portal.CreateAppAsync("Flooder", "https://app.example.com/");
        _b = await _portal.CreateAppAsync("Neighbour", "https://app.example.com/");
        foreach (var app in new[] { _a, _b })
        {
            using var admin = _portal.Http(app.ApiKey);
            await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = Slug })));
            await _portal.ConnectThroughFakeAsync(app, _oauth, Slug, "u1");
        }
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _oauth.DisposeAsync();
        await _api.DisposeAsync();
    }

    private Task FlushAsync() => _portal.Services.GetRequiredService<ExecutionLog>().FlushAsync();

    private async Task<string> ExecuteAsync(TestApp app)
    {
        using var client = _portal.Http(app.ApiKey);
        var result = await JsonAssert.OkAsync(await client.PostAsync($"v1/{app.Id}/integrations/execute",
            JsonAssert.Body(new { toolName = Tool, userId = "u1", @params = new { } })));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        return result.GetProperty("executionId").GetString()!;
    }

    private async Task<List<ExecutionRecord>> ExecutionsOfAsync(TestApp app)
    {
        await using var db = await _portal.Services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        return await db.Executions.AsNoTracking().Where(e => e.AppId == app.Id).ToListAsync();
    }

    [Fact]
    public async Task An_execution_flood_from_one_app_drops_only_its_own_oldest_rows_and_marks_its_log_truncated()
    {
        var bIds = new List<string>();
        for (var i = 0; i < 5; i++) bIds.Add(await ExecuteAsync(_b));
        await FlushAsync();
        var aIds = new List<string>();
        for (var i = 0; i < MaxRows * 3; i++) aIds.Add(await ExecuteAsync(_a));
        await FlushAsync();

        var b = await ExecutionsOfAsync(_b);
        Assert.Equal(bIds.Order(), b.Select(r => r.Id).Order()); // every one of B's rows, although they are the oldest of all
        var a = await ExecutionsOfAsync(_a);
        Assert.InRange(a.Count, MaxRows, MaxRows + LogQuota.Slack(MaxRows));
        Assert.Empty(aIds.TakeLast(MaxRows).Except(a.Select(r => r.Id))); // A's newest rows are all kept
        Assert.DoesNotContain(aIds[0], a.Select(r => r.Id));
        // Each stored response is cut to the per-row cap (the stand-in answered ~10 KB), with a visible marker.
        Assert.All(a, r => Assert.True(Encoding.UTF8.GetByteCount(r.Response!) <= MaxText + 100 && r.Response!.Contains("[truncated"), r.Response));

        var log = _portal.Services.GetRequiredService<ExecutionLog>();
        var mark = await log.TruncationAsync(_a.Id, LogTruncation.Executions);
        Assert.NotNull(mark);
        Assert.True(mark.DroppedRows >= MaxRows * 3 - MaxRows - LogQuota.Slack(MaxRows), $"dropped {mark.DroppedRows}");
        Assert.True(mark.DroppedBefore <= a.Min(r => r.CreatedAt));
        Assert.Null(await log.TruncationAsync(_b.Id, LogTruncation.Executions));
    }

    [Fact]
    public async Task A_flood_split_over_two_instances_on_one_database_still_drops_only_the_flooding_apps_oldest_rows()
    {
        var second = new PortalApplication(directory: _portal.Directory)
            .With("Butterbase:RateLimit:PermitsPerApp", "100000")
            .With("Butterbase:Executions:MaxRowsPerApp", MaxRows.ToString())
            .With("Butterbase:Executions:MaxTextBytesPerRow", MaxText.ToString());
        foreach (var (key, value) in _oauth.SettingsFor(Slug)) second.With(key, value);
        second.With($"Butterbase:Toolkits:{Slug}:ApiBaseUrl", _api.BaseUrl);
        await using var _ = second;
        var bIds = new List<string>();
        for (var i = 0; i < 5; i++) bIds.Add(await ExecuteAsync(_b));
        await FlushAsync();

        var aIds = new List<string>();
        using var onSecond = second.Http(_a.ApiKey);
        for (var i = 0; i < MaxRows * 3; i++)
        {
            if (i % 2 == 0) { aIds.Add(await ExecuteAsync(_a)); continue; }
            var result = await JsonAssert.OkAsync(await onSecond.PostAsync($"v1/{_a.Id}/integrations/execute",
                JsonAssert.Body(new { toolName = Tool, userId = "u1", @params = new { } })));
            aIds.Add(result.GetProperty("executionId").GetString()!);
        }
        await FlushAsync();
        await second.Services.GetRequiredService<ExecutionLog>().FlushAsync();

        Assert.Equal(bIds.Order(), (await ExecutionsOfAsync(_b)).Select(r => r.Id).Order());
        var a = await ExecutionsOfAsync(_a);
        // Each instance checks after its own tenth of the quota: together they hold it within one slack per instance.
        Assert.InRange(a.Count, MaxRows, MaxRows + 2 * LogQuota.Slack(MaxRows));
        Assert.Empty(aIds.TakeLast(MaxRows).Except(a.Select(r => r.Id)));
    }

    private async Task DeployAsync(TestApp app, string code)
    {
        using var admin = _portal.Http(app.ApiKey);
        var response = await admin.PostAsync($"v1/{app.Id}/functions", JsonAssert.Body(new { name = "chatty", code }));
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private async Task<string> InvokeAsync(TestApp app)
    {
        using var client = _portal.Http(app.ApiKey);
        var response = await client.PostAsync($"v1/{app.Id}/fn/chatty", JsonAssert.Body(new { }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("X-Butterbase-Invocation-Id").Single();
    }

    [Fact]
    public async Task A_function_logging_64_KB_per_call_from_one_app_keeps_within_its_quota_and_never_removes_another_apps_invocations()
    {
        // The attack: console output at the 64 KiB limit on every call (the row would keep all of it).
        const string chatty = "export default () => { console.log('x'.repeat(60000)); return { ok: true }; }";
        await DeployAsync(_a, chatty);
        await DeployAsync(_b, chatty);
        var bIds = new List<string>();
        for (var i = 0; i < 3; i++) bIds.Add(await InvokeAsync(_b));
        await FlushAsync();
        var aIds = new List<string>();
        for (var i = 0; i < MaxInvocations * 4; i++) aIds.Add(await InvokeAsync(_a));
        await FlushAsync();

        using var onA = _portal.Http(_a.ApiKey);
        var pageA = await JsonAssert.OkAsync(await onA.GetAsync($"v1/{_a.Id}/functions/chatty/invocations?limit=200"));
        var kept = pageA.GetProperty("items").EnumerateArray().ToList();
        Assert.InRange(kept.Count, MaxInvocations, MaxInvocations + LogQuota.Slack(MaxInvocations));
        Assert.Empty(aIds.TakeLast(MaxInvocations).Except(kept.Select(i => i.GetProperty("id").GetString())));
        Assert.True(pageA.GetProperty("truncated").GetBoolean());
        var droppedBefore = pageA.GetProperty("dropped_before").GetDateTime();
        Assert.All(kept, i => Assert.True(i.GetProperty("created_at").GetDateTime() >= droppedBefore));
        Assert.All(kept, i =>
        {
            var message = i.GetProperty("logs")[0].GetProperty("message").GetString()!;
            Assert.True(Encoding.UTF8.GetByteCount(message) <= MaxText + 100 && message.Contains("[truncated"), $"{message.Length} characters kept");
        });

        using var onB = _portal.Http(_b.ApiKey);
        var pageB = await JsonAssert.OkAsync(await onB.GetAsync($"v1/{_b.Id}/functions/chatty/invocations?limit=200"));
        Assert.Equal(bIds.Order(), pageB.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).Order());
        Assert.False(pageB.GetProperty("truncated").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, pageB.GetProperty("dropped_before").ValueKind);
    }

    [Theory]
    [InlineData("plain ascii text that is long", 10, "plain asci")]
    [InlineData("ééééé", 5, "éé")]           // two bytes each: never half a character
    [InlineData("a😀b", 4, "a")]             // a surrogate pair is four bytes, kept whole or not at all
    [InlineData("short", 10, "short")]
    public void A_field_is_cut_to_the_byte_cap_on_a_character_boundary(string text, int max, string kept)
    {
        var capped = LogQuota.Cap(text, max)!;
        Assert.StartsWith(kept, capped);
        if (kept != text) Assert.Equal(kept + string.Format(System.Globalization.CultureInfo.InvariantCulture, LogQuota.Marker, max), capped);
        else Assert.Equal(text, capped);
    }
}
