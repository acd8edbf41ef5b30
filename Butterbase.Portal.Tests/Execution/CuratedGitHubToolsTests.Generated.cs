using System.Text.Json.Nodes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>GitHub's generated operations (from @octokit/openapi) behind the hand-made tools, on the same connection.</summary>
public sealed partial class CuratedGitHubToolsTests
{
    [Fact]
    public async Task A_generated_operation_lists_a_repositorys_issues_with_its_query_and_the_toolkits_headers()
    {
        Api.On("GET", "/repos/octo-org/hello-world/issues", _ => (200, JsonNode.Parse("""[{"number":7,"title":"Crash on save","state":"open"}]"""), null));
        var data = await github.SucceedsAsync("GITHUB_ISSUES_LIST_FOR_REPO", new { owner = "octo-org", repo = "hello-world", state = "open", labels = "bug,p1", per_page = 5 });
        Assert.Equal(7, data[0].GetProperty("number").GetInt32());
        var sent = github.Received("GET", "/repos/octo-org/hello-world/issues");
        AssertGitHubHeaders(sent);
        Assert.Equal(["open"], sent.QueryValues["state"]);
        Assert.Equal(["bug,p1"], sent.QueryValues["labels"]);
        Assert.Equal(["5"], sent.QueryValues["per_page"]);
    }

    [Fact]
    public async Task A_generated_operation_creates_a_label_and_githubs_422_is_a_failed_result()
    {
        Api.On("POST", "/repos/octo-org/hello-world/labels", r => r.Json!["name"]!.GetValue<string>() == "bug"
            ? (422, JsonNode.Parse("""{"message":"Validation Failed","errors":[{"resource":"Label","code":"already_exists","field":"name"}]}"""), null)
            : (201, JsonNode.Parse($$"""{"id":208045946,"name":{{r.Json!["name"]!.ToJsonString()}},"color":"f29513"}"""), null));
        var data = await github.SucceedsAsync("GITHUB_ISSUES_CREATE_LABEL", new { owner = "octo-org", repo = "hello-world", name = "needs triage", color = "f29513" });
        Assert.Equal("needs triage", data.GetProperty("name").GetString());
        var sent = github.Received("POST", "/repos/octo-org/hello-world/labels");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"name":"needs triage","color":"f29513"}"""), sent.Json), sent.Body);

        var failed = await github.FailsAsync("GITHUB_ISSUES_CREATE_LABEL", new { owner = "octo-org", repo = "hello-world", name = "bug" }, "upstream_error", 422);
        Assert.Equal("already_exists", failed.GetProperty("data").GetProperty("errors")[0].GetProperty("code").GetString());
    }
}
