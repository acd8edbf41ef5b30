using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>ClickUp with a personal API token, sent as the bare `Authorization` header (https://clickup.com/api/developer-portal/authentication/).</summary>
public sealed class ClickUpToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string>()), IAsyncLifetime
{
    public const string Token = "pk_2671355_0123456789ABCDEFGHIJKLMNOPQRSTUV";

    protected override void Configure(PortalApplication portal) => portal.With("Butterbase:Toolkits:clickup:ApiBaseUrl", Api.BaseUrl + "/api/v2");

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        Api.AcceptsToken = null; // the token is the whole Authorization header, not a Bearer token
        using var admin = Portal.Http(App.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "clickup" })));
        Connections["clickup"] = await Portal.ConnectHostedAsync(App, "clickup", User, new() { ["api_key"] = Token });
    }
}

/// <summary>
/// The hand-made ClickUp toolkit (no spec ships on npm; the directory's clickup.com entry is a sample API) runs
/// declaratively against a stand-in for api.clickup.com/api/v2: the hierarchy Workspace (`/team`) → Space → Folder → List →
/// task, list filters as `statuses[]=…`, errors as `{err, ECODE}`.
/// </summary>
public sealed class CuratedClickUpToolsTests(ClickUpToolkitFixture clickup) : IClassFixture<ClickUpToolkitFixture>
{
    private const string TaskId = "86b1x2y3z";

    private static FakeProviderApi.Handler Authorized(Func<FakeProviderApi.Received, (int, object?, IReadOnlyDictionary<string, string>?)> answer) => r =>
        r.Headers.GetValueOrDefault("Authorization") == ClickUpToolkitFixture.Token ? answer(r)
        : (401, JsonNode.Parse("""{"err":"Token invalid","ECODE":"OAUTH_025"}"""), null);

    private static JsonNode Task(string name) => JsonNode.Parse($$$"""
        {"id":"{{{TaskId}}}","custom_id":null,"name":"{{{name}}}","text_content":"","status":{"status":"to do","color":"#d3d3d3","type":"open"},
         "priority":null,"due_date":null,"url":"https://app.clickup.com/t/{{{TaskId}}}","list":{"id":"901"},"assignees":[],"tags":[]}
        """)!;

    [Fact]
    public async Task The_hierarchy_is_browsed_from_the_user_down_to_a_lists_tasks()
    {
        clickup.Api.On("GET", "/api/v2/user", Authorized(r => (200, JsonNode.Parse("""{"user":{"id":2671355,"username":"Ada","email":"ada@example.com"}}"""), null)));
        clickup.Api.On("GET", "/api/v2/team", Authorized(r => (200, JsonNode.Parse("""{"teams":[{"id":"9011","name":"Acme"}]}"""), null)));
        clickup.Api.On("GET", "/api/v2/team/9011/space", Authorized(r => (200, JsonNode.Parse("""{"spaces":[{"id":"90110","name":"Engineering"}]}"""), null)));
        clickup.Api.On("GET", "/api/v2/space/90110/folder", Authorized(r => (200, JsonNode.Parse("""{"folders":[{"id":"90111","name":"Q3"}]}"""), null)));
        clickup.Api.On("GET", "/api/v2/folder/90111/list", Authorized(r => (200, JsonNode.Parse("""{"lists":[{"id":"901","name":"Sprint 12"}]}"""), null)));
        clickup.Api.On("GET", "/api/v2/space/90110/list", Authorized(r => (200, JsonNode.Parse("""{"lists":[{"id":"902","name":"Backlog"}]}"""), null)));
        clickup.Api.On("GET", "/api/v2/list/901/task", Authorized(r => (200, new JsonObject { ["tasks"] = new JsonArray(Task("Fix login")), ["last_page"] = true }, null)));

        Assert.Equal("ada@example.com", (await clickup.SucceedsAsync("CLICKUP_GET_USER", null)).GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(ClickUpToolkitFixture.Token, clickup.Received("GET", "/api/v2/user").Headers["Authorization"]); // as issued, no Bearer
        Assert.Equal("9011", (await clickup.SucceedsAsync("CLICKUP_LIST_WORKSPACES", null)).GetProperty("teams")[0].GetProperty("id").GetString());
        Assert.Equal("90110", (await clickup.SucceedsAsync("CLICKUP_LIST_SPACES", new { team_id = "9011" })).GetProperty("spaces")[0].GetProperty("id").GetString());
        Assert.Equal("90111", (await clickup.SucceedsAsync("CLICKUP_LIST_FOLDERS", new { space_id = "90110" })).GetProperty("folders")[0].GetProperty("id").GetString());
        Assert.Equal("901", (await clickup.SucceedsAsync("CLICKUP_LIST_LISTS", new { folder_id = "90111" })).GetProperty("lists")[0].GetProperty("id").GetString());
        Assert.Equal("902", (await clickup.SucceedsAsync("CLICKUP_LIST_FOLDERLESS_LISTS", new { space_id = "90110", archived = false })).GetProperty("lists")[0].GetProperty("id").GetString());

        var tasks = await clickup.SucceedsAsync("CLICKUP_LIST_TASKS", new { list_id = "901", statuses = new[] { "to do", "in progress" }, include_closed = true });
        Assert.Equal("Fix login", tasks.GetProperty("tasks")[0].GetProperty("name").GetString());
        var query = clickup.Received("GET", "/api/v2/list/901/task").QueryValues;
        Assert.Equal(["to do", "in progress"], query["statuses[]"]); // ClickUp's array form
        Assert.Equal(["true"], query["include_closed"]);
    }

    [Fact]
    public async Task A_task_is_created_read_updated_commented_and_deleted_and_a_missing_one_is_a_failed_result()
    {
        clickup.Api.On("POST", "/api/v2/list/901/task", Authorized(r => (200, Task(r.Json!["name"]!.GetValue<string>()), null)));
        clickup.Api.On("GET", $"/api/v2/task/{TaskId}", Authorized(r => (200, Task("Fix login"), null)));
        clickup.Api.On("GET", "/api/v2/task/gone", Authorized(r => (404, JsonNode.Parse("""{"err":"Task not found, deleted","ECODE":"ITEM_013"}"""), null)));
        clickup.Api.On("PUT", $"/api/v2/task/{TaskId}", Authorized(r => (200, Task(r.Json!["name"]?.GetValue<string>() ?? "Fix login"), null)));
        clickup.Api.On("POST", $"/api/v2/task/{TaskId}/comment", Authorized(r => (200, JsonNode.Parse("""{"id":458,"hist_id":"26508","date":1568036964079}"""), null)));
        clickup.Api.On("GET", $"/api/v2/task/{TaskId}/comment", Authorized(r => (200, JsonNode.Parse("""{"comments":[{"id":"458","comment_text":"On it","user":{"id":2671355},"date":"1568036964079"}]}"""), null)));
        clickup.Api.On("DELETE", $"/api/v2/task/{TaskId}", Authorized(r => (200, new JsonObject(), null)));

        var created = await clickup.SucceedsAsync("CLICKUP_CREATE_TASK", new { list_id = "901", name = "Fix login", priority = 2, due_date = 1767225600000L, tags = new[] { "bug" } });
        Assert.Equal(TaskId, created.GetProperty("id").GetString());
        var body = clickup.Received("POST", "/api/v2/list/901/task").Json!.AsObject();
        Assert.Equal(["due_date", "name", "priority", "tags"], body.Select(p => p.Key).Order());
        Assert.Equal(1767225600000L, body["due_date"]!.GetValue<long>());

        Assert.Equal("to do", (await clickup.SucceedsAsync("CLICKUP_GET_TASK", new { task_id = TaskId })).GetProperty("status").GetProperty("status").GetString());
        var missing = await clickup.FailsAsync("CLICKUP_GET_TASK", new { task_id = "gone" }, "upstream_error", 404);
        Assert.Equal("ITEM_013", missing.GetProperty("data").GetProperty("ECODE").GetString());

        Assert.Equal("Fix login page", (await clickup.SucceedsAsync("CLICKUP_UPDATE_TASK", new { task_id = TaskId, name = "Fix login page", status = "in progress" })).GetProperty("name").GetString());
        Assert.Equal(["name", "status"], clickup.Received("PUT", $"/api/v2/task/{TaskId}").Json!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(458, (await clickup.SucceedsAsync("CLICKUP_ADD_TASK_COMMENT", new { task_id = TaskId, comment_text = "On it" })).GetProperty("id").GetInt32());
        Assert.Equal("On it", (await clickup.SucceedsAsync("CLICKUP_LIST_TASK_COMMENTS", new { task_id = TaskId })).GetProperty("comments")[0].GetProperty("comment_text").GetString());
        await clickup.SucceedsAsync("CLICKUP_DELETE_TASK", new { task_id = TaskId });
        clickup.Received("DELETE", $"/api/v2/task/{TaskId}");
    }

    [Fact]
    public async Task A_priority_outside_one_to_four_is_refused_before_clickup_is_called()
    {
        var before = clickup.Api.Requests.Count;
        await JsonAssert.ErrorAsync(await clickup.PostExecuteAsync("CLICKUP_CREATE_TASK", new { list_id = "901", name = "x", priority = 0 }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, clickup.Api.Requests.Count);
    }
}
