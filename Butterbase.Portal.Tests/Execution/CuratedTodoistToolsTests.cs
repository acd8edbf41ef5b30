using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class TodoistFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string> { ["todoist"] = "/api/v1" });

/// <summary>
/// The hand-made Todoist toolkit (no vendor spec ships on npm: the SDK, @doist/todoist-sdk, holds endpoints in code) runs
/// declaratively against a stand-in for Todoist's API v1 (https://developer.todoist.com/api/v1): lists are
/// `{results, next_cursor}`, task ids are strings, close/reopen/delete answer 204 without a body and errors are
/// `{error, error_code, error_tag, http_code}`.
/// </summary>
public sealed class CuratedTodoistToolsTests(TodoistFixture todoist) : IClassFixture<TodoistFixture>
{
    private const string TaskId = "6X7rM8997g3RQmvh";

    private static JsonNode Task(string content, string project = "6Jf8VQXxpwv56VQ7", int priority = 1) => JsonNode.Parse($$"""
        {"id":"{{TaskId}}","user_id":"2671355","project_id":"{{project}}","section_id":null,"parent_id":null,"content":"{{content}}","description":"",
         "labels":[],"priority":{{priority}},"checked":false,"is_deleted":false,"added_at":"2025-05-12T15:50:38.000000Z",
         "due":{"date":"2025-05-13","string":"tomorrow","lang":"en","is_recurring":false,"timezone":null},"child_order":1}
        """)!;

    private static JsonNode Page(params JsonNode[] items) => new JsonObject { ["results"] = new JsonArray(items), ["next_cursor"] = null };

    [Fact]
    public async Task Tasks_are_listed_filtered_and_read_one_by_one()
    {
        todoist.Api.On("GET", "/api/v1/tasks", r => (200, Page(Task("Buy milk")), null));
        todoist.Api.On("GET", "/api/v1/tasks/filter", r => r.QueryValues.TryGetValue("query", out var q) && q[0] == "today | overdue"
            ? (200, Page(Task("Pay rent", priority: 4)), null)
            : (400, JsonNode.Parse("""{"error":"Invalid filter query","error_code":42,"error_extra":{},"error_tag":"INVALID_SEARCH_QUERY","http_code":400}"""), null));
        todoist.Api.On("GET", $"/api/v1/tasks/{TaskId}", r => (200, Task("Buy milk"), null));
        todoist.Api.On("GET", "/api/v1/tasks/missing", r => (404, JsonNode.Parse("""{"error":"Task not found","error_code":478,"error_extra":{"event_id":"e1"},"error_tag":"NOT_FOUND","http_code":404}"""), null));

        var list = await todoist.SucceedsAsync("TODOIST_LIST_TASKS", new { project_id = "6Jf8VQXxpwv56VQ7", limit = 50 });
        Assert.Equal("Buy milk", list.GetProperty("results")[0].GetProperty("content").GetString());
        var sent = todoist.Received("GET", "/api/v1/tasks");
        Assert.StartsWith("Bearer ", sent.Headers["Authorization"]);
        Assert.Equal(["limit", "project_id"], sent.QueryValues.Keys.Order());

        var filtered = await todoist.SucceedsAsync("TODOIST_FILTER_TASKS", new { query = "today | overdue" });
        Assert.Equal(4, filtered.GetProperty("results")[0].GetProperty("priority").GetInt32());
        var bad = await todoist.FailsAsync("TODOIST_FILTER_TASKS", new { query = "today &&" }, "upstream_error", 400);
        Assert.Equal("INVALID_SEARCH_QUERY", bad.GetProperty("data").GetProperty("error_tag").GetString());

        Assert.Equal(TaskId, (await todoist.SucceedsAsync("TODOIST_GET_TASK", new { task_id = TaskId })).GetProperty("id").GetString());
        var missing = await todoist.FailsAsync("TODOIST_GET_TASK", new { task_id = "missing" }, "upstream_error", 404);
        Assert.Equal(478, missing.GetProperty("data").GetProperty("error_code").GetInt32());
    }

    [Fact]
    public async Task A_task_is_created_quick_added_updated_completed_reopened_and_deleted()
    {
        todoist.Api.On("POST", "/api/v1/tasks", r => (200, Task(r.Json!["content"]!.GetValue<string>(), priority: r.Json["priority"]?.GetValue<int>() ?? 1), null));
        todoist.Api.On("POST", "/api/v1/tasks/quick", r => (200, Task("Call Ada"), null));
        todoist.Api.On("POST", $"/api/v1/tasks/{TaskId}", r => (200, Task(r.Json!["content"]?.GetValue<string>() ?? "Buy milk"), null));
        todoist.Api.On("POST", $"/api/v1/tasks/{TaskId}/close", r => (204, null, null));
        todoist.Api.On("POST", $"/api/v1/tasks/{TaskId}/reopen", r => (204, null, null));
        todoist.Api.On("DELETE", $"/api/v1/tasks/{TaskId}", r => (204, null, null));

        var created = await todoist.SucceedsAsync("TODOIST_CREATE_TASK", new { content = "Ship release", priority = 4, due_string = "tomorrow at 5pm", labels = new[] { "work" } });
        Assert.Equal("Ship release", created.GetProperty("content").GetString());
        var body = todoist.Received("POST", "/api/v1/tasks").Json!.AsObject();
        Assert.Equal(["content", "due_string", "labels", "priority"], body.Select(p => p.Key).Order());

        await todoist.SucceedsAsync("TODOIST_QUICK_ADD_TASK", new { text = "Call Ada tomorrow 5pm #Work p1" });
        Assert.Equal("Call Ada tomorrow 5pm #Work p1", todoist.Received("POST", "/api/v1/tasks/quick").Json!["text"]!.GetValue<string>());

        await todoist.SucceedsAsync("TODOIST_UPDATE_TASK", new { task_id = TaskId, content = "Ship release 2", due_string = "no date" });
        var update = todoist.Received("POST", $"/api/v1/tasks/{TaskId}").Json!.AsObject();
        Assert.Equal(["content", "due_string"], update.Select(p => p.Key).Order()); // the id is the path, not the body

        await todoist.SucceedsAsync("TODOIST_CLOSE_TASK", new { task_id = TaskId });
        await todoist.SucceedsAsync("TODOIST_REOPEN_TASK", new { task_id = TaskId });
        await todoist.SucceedsAsync("TODOIST_DELETE_TASK", new { task_id = TaskId });
        Assert.Equal("", todoist.Received("POST", $"/api/v1/tasks/{TaskId}/close").Body);
        todoist.Received("DELETE", $"/api/v1/tasks/{TaskId}");
    }

    [Fact]
    public async Task A_priority_outside_one_to_four_is_refused_before_todoist_is_called()
    {
        var before = todoist.Api.Requests.Count;
        await JsonAssert.ErrorAsync(await todoist.PostExecuteAsync("TODOIST_CREATE_TASK", new { content = "x", priority = 7 }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, todoist.Api.Requests.Count);
    }

    [Fact]
    public async Task Projects_sections_labels_and_comments_are_read_and_written()
    {
        todoist.Api.On("GET", "/api/v1/projects", r => (200, Page(JsonNode.Parse("""{"id":"6Jf8VQXxpwv56VQ7","name":"Inbox","color":"charcoal","parent_id":null,"is_favorite":false,"view_style":"list"}""")!), null));
        todoist.Api.On("POST", "/api/v1/projects", r => (200, JsonNode.Parse($$"""{"id":"6Jf8VQXxpwv56VQ8","name":"{{r.Json!["name"]!.GetValue<string>()}}","view_style":"{{r.Json["view_style"]?.GetValue<string>() ?? "list"}}"}"""), null));
        todoist.Api.On("GET", "/api/v1/sections", r => (200, Page(JsonNode.Parse("""{"id":"6Jf8VQXxpwv56VQ9","project_id":"6Jf8VQXxpwv56VQ8","name":"Doing","order":1}""")!), null));
        todoist.Api.On("GET", "/api/v1/labels", r => (200, Page(JsonNode.Parse("""{"id":"2156154810","name":"work","color":"berry_red","is_favorite":true}""")!), null));
        todoist.Api.On("GET", "/api/v1/comments", r => r.QueryValues.ContainsKey("task_id") || r.QueryValues.ContainsKey("project_id")
            ? (200, Page(JsonNode.Parse("""{"id":"6X7rfFVPjhvv84XG","content":"Looks good","posted_at":"2025-05-12T15:50:38.000000Z","posted_uid":"2671355"}""")!), null)
            : (400, JsonNode.Parse("""{"error":"Required argument is missing","error_code":19,"error_extra":{"argument":"task_id"},"error_tag":"ARGUMENT_MISSING","http_code":400}"""), null));
        todoist.Api.On("POST", "/api/v1/comments", r => (200, JsonNode.Parse($$"""{"id":"6X7rfFVPjhvv84XH","content":"{{r.Json!["content"]!.GetValue<string>()}}","task_id":"{{TaskId}}"}"""), null));

        Assert.Equal("Inbox", (await todoist.SucceedsAsync("TODOIST_LIST_PROJECTS", null)).GetProperty("results")[0].GetProperty("name").GetString());
        var project = await todoist.SucceedsAsync("TODOIST_CREATE_PROJECT", new { name = "Launch", view_style = "board" });
        Assert.Equal("board", project.GetProperty("view_style").GetString());
        Assert.Equal("Doing", (await todoist.SucceedsAsync("TODOIST_LIST_SECTIONS", new { project_id = "6Jf8VQXxpwv56VQ8" })).GetProperty("results")[0].GetProperty("name").GetString());
        Assert.Equal(["6Jf8VQXxpwv56VQ8"], todoist.Received("GET", "/api/v1/sections").QueryValues["project_id"]);
        Assert.Equal("work", (await todoist.SucceedsAsync("TODOIST_LIST_LABELS", null)).GetProperty("results")[0].GetProperty("name").GetString());

        Assert.Equal("Looks good", (await todoist.SucceedsAsync("TODOIST_LIST_COMMENTS", new { task_id = TaskId })).GetProperty("results")[0].GetProperty("content").GetString());
        var failed = await todoist.FailsAsync("TODOIST_LIST_COMMENTS", new { }, "upstream_error", 400);
        Assert.Equal("ARGUMENT_MISSING", failed.GetProperty("data").GetProperty("error_tag").GetString());

        var comment = await todoist.SucceedsAsync("TODOIST_ADD_COMMENT", new { content = "Shipped", task_id = TaskId });
        Assert.Equal("Shipped", comment.GetProperty("content").GetString());
        Assert.Equal(TaskId, todoist.Received("POST", "/api/v1/comments").Json!["task_id"]!.GetValue<string>());
    }
}
