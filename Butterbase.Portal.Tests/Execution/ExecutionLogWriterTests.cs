using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// The execution log's writer relaxes SQLite's durability on its own connection while it writes a batch
/// (synchronous=NORMAL, docs/architecture.md "Execute"); the pooled connection must go back as durable as it came, or the
/// next request that borrows it would write connections and keys without a sync per commit.
/// </summary>
public sealed class ExecutionLogWriterTests : IAsyncLifetime
{
    private FakeOAuthProvider _oauth = default!;
    private FakeProviderApi _api = default!;
    private PortalApplication _portal = default!;
    private TestApp _app = default!;

    public async Task InitializeAsync()
    {
        _oauth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic);
        _api = await FakeProviderApi.StartAsync();
        _api.On("GET", "/projects", _ => (200, new { data = new[] { new { gid = "p1" } } }, null));
        _portal = new PortalApplication().With("Butterbase:Toolkits:asana:ApiBaseUrl", _api.BaseUrl);
        foreach (var (key, value) in _oauth.SettingsFor("asana")) _portal.With(key, value);
        _app = await _portal.CreateAppAsync("Writer", "https://app.example.com/");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "asana" })));
        await _portal.ConnectThroughFakeAsync(_app, _oauth, "asana", "u1");
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _oauth.DisposeAsync();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task The_writer_gives_its_pooled_connection_back_as_durable_as_it_came_and_ids_follow_the_rows_order()
    {
        Assert.False(PortalApplication.OnPostgres, "A SQLite setting: scripts/test.sh leaves this class out of the PostgreSQL pass.");
        var before = await SynchronousAsync();
        var ids = new List<string>();
        using var client = _portal.Http(_app.ApiKey);
        for (var i = 0; i < 3; i++)
        {
            var result = await JsonAssert.OkAsync(await client.PostAsync($"v1/{_app.Id}/integrations/execute",
                JsonAssert.Body(new { toolName = "ASANA_GET_PROJECTS", userId = "u1", @params = new { } })));
            ids.Add(result.GetProperty("executionId").GetString()!);
            await _portal.Services.GetRequiredService<ExecutionLog>().FlushAsync(); // a batch each: the pooled connection is borrowed three times
            await Task.Delay(2); // the ids' time part counts milliseconds
        }

        Assert.Equal(before, await SynchronousAsync());
        await using var db = await _portal.Services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        var stored = await db.Executions.AsNoTracking().Where(x => x.AppId == _app.Id).OrderBy(x => x.CreatedAt).Select(x => x.Id).ToListAsync();
        Assert.Equal(ids, stored);
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal)); // new rows go to the end of the primary key's index
    }

    [Fact]
    public async Task A_batch_of_both_logs_is_written_whole_with_every_column_as_given()
    {
        Assert.False(PortalApplication.OnPostgres, "A SQLite path: scripts/test.sh leaves this class out of the PostgreSQL pass.");
        var at = new DateTime(2026, 12, 3, 10, 0, 0, DateTimeKind.Utc);
        var rows = new List<object>();
        for (var i = 0; i < 69; i++)
        {
            rows.Add(new ExecutionRecord
            {
                Id = $"ex_batch{i:D4}", AppId = _app.Id, UserId = "u" + i, ToolName = "ASANA_GET_PROJECTS", ToolkitSlug = "asana",
                ConnectionId = i % 3 == 0 ? null : "conn_" + i, Source = i % 2 == 0 ? ExecutionSources.Api : ExecutionSources.Mcp,
                Successful = i % 4 != 0, ErrorCode = i % 4 == 0 ? "upstream_error" : null, UpstreamStatus = i % 5 == 0 ? null : 200 + i,
                HttpStatus = i % 7 == 0 ? 409 : null, DurationMs = i, Request = i % 6 == 0 ? null : $"GET /projects?page={i}",
                Response = "{\"n\":" + i + "}", CreatedAt = at.AddMilliseconds(i),
            });
            if (i % 20 == 0)
                rows.Add(new Butterbase.Portal.Functions.FunctionInvocation
                {
                    Id = $"inv_batch{i:D4}", AppId = _app.Id, FunctionName = "f" + i, UserId = i == 0 ? null : "u" + i, Outcome = "ok",
                    HttpStatus = 200, DurationMs = i, Logs = "log " + i, CreatedAt = at.AddMilliseconds(i),
                });
        }
        var factory = _portal.Services.GetRequiredService<IDbContextFactory<PortalDb>>();
        await using (var db = await factory.CreateDbContextAsync())
            await ExecutionLog.InsertAsync(db, rows, CancellationToken.None);

        await using var read = await factory.CreateDbContextAsync();
        var executions = await read.Executions.AsNoTracking().Where(x => x.Id.StartsWith("ex_batch")).OrderBy(x => x.Id).ToListAsync();
        var invocations = await read.Set<Butterbase.Portal.Functions.FunctionInvocation>().AsNoTracking().Where(x => x.Id.StartsWith("inv_batch")).OrderBy(x => x.Id).ToListAsync();
        Assert.Equal(rows.OfType<ExecutionRecord>().Select(Json), executions.Select(Json));
        Assert.Equal(rows.OfType<Butterbase.Portal.Functions.FunctionInvocation>().Select(Json), invocations.Select(Json));
        Assert.All(executions, x => Assert.Equal(DateTimeKind.Utc, x.CreatedAt.Kind));
    }

    private static string Json(object row) => System.Text.Json.JsonSerializer.Serialize(row, row.GetType());

    private async Task<long> SynchronousAsync()
    {
        await using var db = await _portal.Services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA synchronous";
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
