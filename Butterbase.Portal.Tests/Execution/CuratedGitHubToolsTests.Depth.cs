using System.Text.Json.Nodes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>The GitHub tools beyond the first five (issue 14 "curated depth"), against the stand-in on api.github.com's paths.</summary>
public sealed partial class CuratedGitHubToolsTests
{
    private const string Repo = "/repos/octo-org/hello-world";

    private static JsonNode GitHubError(string message, string status, string doc = "https://docs.github.com/rest") =>
        new JsonObject { ["message"] = message, ["documentation_url"] = doc, ["status"] = status };

    [Fact]
    public async Task Issues_are_listed_with_filters_read_by_number_updated_and_commented()
    {
        Api.On("GET", Repo + "/issues", _ => (200, Json("""[{"id":1,"number":1347,"title":"Found a bug","state":"open","labels":[{"name":"bug"}],"comments":2}]"""), null));
        Api.On("GET", Repo + "/issues/1347", _ => (200, Json("""{"id":1,"number":1347,"title":"Found a bug","state":"open","body":"It breaks.","user":{"login":"ada"}}"""), null));
        Api.On("PATCH", Repo + "/issues/1347", r => (200, Json($$"""{"id":1,"number":1347,"state":{{r.Json!["state"]!.ToJsonString()}},"state_reason":"completed"}"""), null));
        Api.On("POST", Repo + "/issues/1347/comments", r => (201, Json($$"""{"id":99,"html_url":"https://github.com/octo-org/hello-world/issues/1347#issuecomment-99","body":{{r.Json!["body"]!.ToJsonString()}}}"""), null));

        var issues = await Kit.SucceedsAsync("GITHUB_LIST_ISSUES", new { owner = "octo-org", repo = "hello-world", state = "open", labels = "bug,ui", per_page = 50 });
        Assert.Equal(1347, issues[0].GetProperty("number").GetInt32());
        var list = Kit.Received("GET", Repo + "/issues");
        AssertGitHubHeaders(list);
        Assert.Equal(["bug,ui"], list.QueryValues["labels"]);
        Assert.Equal(["50"], list.QueryValues["per_page"]);

        var issue = await Kit.SucceedsAsync("GITHUB_GET_ISSUE", new { owner = "octo-org", repo = "hello-world", issue_number = 1347 });
        Assert.Equal("ada", issue.GetProperty("user").GetProperty("login").GetString());

        var closed = await Kit.SucceedsAsync("GITHUB_UPDATE_ISSUE", new { owner = "octo-org", repo = "hello-world", issue_number = 1347, state = "closed", state_reason = "completed", labels = new[] { "bug", "fixed" } });
        Assert.Equal("closed", closed.GetProperty("state").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"state":"closed","state_reason":"completed","labels":["bug","fixed"]}"""), Kit.Received("PATCH", Repo + "/issues/1347").Json));

        var comment = await Kit.SucceedsAsync("GITHUB_CREATE_ISSUE_COMMENT", new { owner = "octo-org", repo = "hello-world", issue_number = 1347, body = "Fixed in #1350." });
        Assert.Equal(99, comment.GetProperty("id").GetInt32());
        Assert.True(JsonNode.DeepEquals(Json("""{"body":"Fixed in #1350."}"""), Kit.Received("POST", Repo + "/issues/1347/comments").Json));
    }

    [Fact]
    public async Task Pull_requests_are_listed_read_and_merged_and_an_unmergeable_one_is_githubs_405()
    {
        Api.On("GET", Repo + "/pulls", _ => (200, Json("""[{"id":7,"number":1350,"title":"Fix save","state":"open","head":{"ref":"fix-save","sha":"abc123"},"base":{"ref":"main"}}]"""), null));
        Api.On("GET", Repo + "/pulls/1350", _ => (200, Json("""{"id":7,"number":1350,"state":"open","mergeable":true,"merged":false,"head":{"ref":"fix-save","sha":"abc123"},"base":{"ref":"main"}}"""), null));
        Api.On("PUT", Repo + "/pulls/1350/merge", _ => (200, Json("""{"sha":"6dcb09b5b57875f334f61aebed695e2e4193db5e","merged":true,"message":"Pull Request successfully merged"}"""), null));
        Api.On("PUT", Repo + "/pulls/1351/merge", _ => (405, GitHubError("Pull Request is not mergeable", "405"), null));

        var pulls = await Kit.SucceedsAsync("GITHUB_LIST_PULL_REQUESTS", new { owner = "octo-org", repo = "hello-world", state = "open", @base = "main" });
        Assert.Equal("fix-save", pulls[0].GetProperty("head").GetProperty("ref").GetString());
        Assert.Equal(["main"], Kit.Received("GET", Repo + "/pulls").QueryValues["base"]);

        var pull = await Kit.SucceedsAsync("GITHUB_GET_PULL_REQUEST", new { owner = "octo-org", repo = "hello-world", pull_number = 1350 });
        Assert.True(pull.GetProperty("mergeable").GetBoolean());

        var merged = await Kit.SucceedsAsync("GITHUB_MERGE_PULL_REQUEST", new { owner = "octo-org", repo = "hello-world", pull_number = 1350, merge_method = "squash", sha = "abc123" });
        Assert.True(merged.GetProperty("merged").GetBoolean());
        var merge = Kit.Received("PUT", Repo + "/pulls/1350/merge");
        AssertGitHubHeaders(merge);
        Assert.True(JsonNode.DeepEquals(Json("""{"merge_method":"squash","sha":"abc123"}"""), merge.Json));

        var refused = await Kit.FailsAsync("GITHUB_MERGE_PULL_REQUEST", new { owner = "octo-org", repo = "hello-world", pull_number = 1351 }, "upstream_error", 405);
        Assert.Equal("Pull Request is not mergeable", refused.GetProperty("data").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Branches_and_issue_search_are_gets_with_githubs_query_names()
    {
        Api.On("GET", Repo + "/branches", _ => (200, Json("""[{"name":"main","commit":{"sha":"c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc"},"protected":true}]"""), null));
        Api.On("GET", "/search/issues", _ => (200, Json("""{"total_count":1,"incomplete_results":false,"items":[{"number":1347,"title":"Found a bug","state":"open"}]}"""), null));

        var branches = await Kit.SucceedsAsync("GITHUB_LIST_BRANCHES", new { owner = "octo-org", repo = "hello-world", @protected = true });
        Assert.Equal("main", branches[0].GetProperty("name").GetString());
        Assert.Equal(["true"], Kit.Received("GET", Repo + "/branches").QueryValues["protected"]);

        var found = await Kit.SucceedsAsync("GITHUB_SEARCH_ISSUES", new { q = "repo:octo-org/hello-world is:open label:bug", sort = "updated", order = "desc" });
        Assert.Equal(1, found.GetProperty("total_count").GetInt32());
        var search = Kit.Received("GET", "/search/issues").QueryValues;
        Assert.Equal(["repo:octo-org/hello-world is:open label:bug"], search["q"]);
        Assert.Equal(["updated"], search["sort"]);
    }

    [Fact]
    public async Task A_github_403_names_the_accepted_scopes_from_its_header_and_a_reconnect_link()
    {
        // https://docs.github.com/rest/authentication/authenticating-to-the-rest-api: X-Accepted-OAuth-Scopes lists what the endpoint takes.
        Api.On("POST", Repo + "/issues/5/comments", _ => (403, GitHubError("Resource not accessible by integration", "403"),
            new Dictionary<string, string> { ["X-Accepted-OAuth-Scopes"] = "repo, public_repo", ["X-OAuth-Scopes"] = "read:user" }));
        var failed = await Kit.FailsAsync("GITHUB_CREATE_ISSUE_COMMENT", new { owner = "octo-org", repo = "hello-world", issue_number = 5, body = "hi" }, "insufficient_scope", 403);
        Assert.Equal(["repo", "public_repo"], failed.GetProperty("error").GetProperty("missingScopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains("/connect/start?t=", failed.GetProperty("error").GetProperty("reconnectUrl").GetString());
    }
}
