using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class GitHubToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.GitHub, new Dictionary<string, string> { ["github"] = "" });

/// <summary>
/// GitHub REST tools (https://docs.github.com/rest): `Accept: application/vnd.github+json` and
/// `X-GitHub-Api-Version` on every call, JSON bodies, errors as `{message, documentation_url, status}`.
/// </summary>
public sealed partial class CuratedGitHubToolsTests(GitHubToolkitFixture github) : IClassFixture<GitHubToolkitFixture>
{
    private FakeProviderApi Api => github.Api;
    private GitHubToolkitFixture Kit => github;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    private static void AssertGitHubHeaders(FakeProviderApi.Received request)
    {
        Assert.Equal("application/vnd.github+json", request.Headers["Accept"]);
        Assert.Equal("2022-11-28", request.Headers["X-GitHub-Api-Version"]);
        Assert.StartsWith("Bearer gho_", request.Headers["Authorization"]);
    }

    [Fact]
    public async Task Create_issue_posts_title_body_labels_and_assignees_and_returns_number_and_url()
    {
        Api.On("POST", "/repos/octo-org/hello-world/issues", r => (201, Json($$"""
            {"id":1,"number":1347,"html_url":"https://github.com/octo-org/hello-world/issues/1347","state":"open","title":{{r.Json!["title"]!.ToJsonString()}},
             "labels":[{"name":"bug"},{"name":"p1"}],"assignees":[{"login":"octocat"}]}
            """), null));
        var data = await github.SucceedsAsync("GITHUB_CREATE_ISSUE", new { owner = "octo-org", repo = "hello-world", title = "Found a bug", body = "It breaks on **save**.", labels = new[] { "bug", "p1" }, assignees = new[] { "octocat" } });
        Assert.Equal(1347, data.GetProperty("number").GetInt32());
        Assert.Equal("https://github.com/octo-org/hello-world/issues/1347", data.GetProperty("html_url").GetString());

        var sent = github.Received("POST", "/repos/octo-org/hello-world/issues");
        AssertGitHubHeaders(sent);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"title":"Found a bug","body":"It breaks on **save**.","labels":["bug","p1"],"assignees":["octocat"]}
            """), sent.Json), sent.Body);
    }

    [Fact]
    public async Task Create_pull_request_get_repository_and_list_repositories_use_githubs_paths_and_query()
    {
        Api.On("POST", "/repos/octo-org/hello-world/pulls", _ => (201, Json("""{"number":7,"html_url":"https://github.com/octo-org/hello-world/pull/7","draft":true}"""), null));
        Api.On("GET", "/repos/octo-org/hello-world", _ => (200, Json("""{"id":1296269,"full_name":"octo-org/hello-world","default_branch":"main","private":false}"""), null));
        Api.On("GET", "/user/repos", _ => (200, Json("""[{"id":1296269,"full_name":"octo-org/hello-world"}]"""), null));

        var pr = await github.SucceedsAsync("GITHUB_CREATE_PULL_REQUEST", new { owner = "octo-org", repo = "hello-world", title = "Amazing feature", head = "octocat:new-feature", @base = "main", draft = true });
        Assert.Equal(7, pr.GetProperty("number").GetInt32());
        var sent = github.Received("POST", "/repos/octo-org/hello-world/pulls");
        AssertGitHubHeaders(sent);
        Assert.True(JsonNode.DeepEquals(Json("""{"title":"Amazing feature","head":"octocat:new-feature","base":"main","draft":true}"""), sent.Json), sent.Body);

        var repo = await github.SucceedsAsync("GITHUB_GET_REPOSITORY", new { owner = "octo-org", repo = "hello-world" });
        Assert.Equal("main", repo.GetProperty("default_branch").GetString());

        var repos = await github.SucceedsAsync("GITHUB_LIST_REPOSITORIES", new { visibility = "private", sort = "updated", direction = "desc", per_page = 5, page = 2 });
        Assert.Equal(JsonValueKind.Array, repos.ValueKind);
        var query = github.Received("GET", "/user/repos").QueryValues;
        Assert.Equal(["private"], query["visibility"]);
        Assert.Equal(["updated"], query["sort"]);
        Assert.Equal(["5"], query["per_page"]);
        Assert.Equal(["2"], query["page"]);
    }

    [Fact]
    public async Task Get_file_contents_keeps_slashes_decodes_text_keeps_binary_base64_and_wraps_directories()
    {
        // GitHub base64 with line breaks every 60 characters, as the API sends it.
        var markdown = "# Intro\n" + string.Concat(Enumerable.Repeat("Grüße, world. ", 10));
        var wrapped = string.Join("\n", Convert.ToBase64String(Encoding.UTF8.GetBytes(markdown)).Chunk(60).Select(c => new string(c))) + "\n";
        Api.On("GET", "/repos/octo-org/hello-world/contents/docs/guide/intro.md", _ => (200, new
        {
            type = "file",
            encoding = "base64",
            size = markdown.Length,
            name = "intro.md",
            path = "docs/guide/intro.md",
            sha = "3d21ec53a331a6f037a91c368710b99387d012c1",
            content = wrapped,
            html_url = "https://github.com/octo-org/hello-world/blob/main/docs/guide/intro.md",
        }, null));
        var file = await github.SucceedsAsync("GITHUB_GET_FILE_CONTENTS", new { owner = "octo-org", repo = "hello-world", path = "docs/guide/intro.md", @ref = "release/1.0" });
        Assert.Equal(markdown, file.GetProperty("content").GetString());
        Assert.Equal("utf-8", file.GetProperty("encoding").GetString());
        var sent = github.Received("GET", "/repos/octo-org/hello-world/contents/docs/guide/intro.md");
        AssertGitHubHeaders(sent);
        Assert.Equal(["release/1.0"], sent.QueryValues["ref"]);

        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0xFF, 0xFE };
        Api.On("GET", "/repos/octo-org/hello-world/contents/logo.png", _ => (200, new { type = "file", encoding = "base64", name = "logo.png", content = Convert.ToBase64String(png) + "\n" }, null));
        var image = await github.SucceedsAsync("GITHUB_GET_FILE_CONTENTS", new { owner = "octo-org", repo = "hello-world", path = "logo.png" });
        Assert.Equal("base64", image.GetProperty("encoding").GetString());
        Assert.Equal(png, Convert.FromBase64String(image.GetProperty("content").GetString()!));

        Api.On("GET", "/repos/octo-org/hello-world/contents/docs", _ => (200, Json("""
            [{"type":"file","name":"README.md","path":"docs/README.md"},{"type":"dir","name":"guide","path":"docs/guide"}]
            """), null));
        var dir = await github.SucceedsAsync("GITHUB_GET_FILE_CONTENTS", new { owner = "octo-org", repo = "hello-world", path = "docs" });
        Assert.Equal("dir", dir.GetProperty("type").GetString());
        Assert.Equal("guide", dir.GetProperty("entries")[1].GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_github_404_is_a_failed_result_with_githubs_message()
    {
        Api.On("GET", "/repos/octo-org/private-thing", _ => (404, Json("""
            {"message":"Not Found","documentation_url":"https://docs.github.com/rest/repos/repos#get-a-repository","status":"404"}
            """), null));
        var failed = await github.FailsAsync("GITHUB_GET_REPOSITORY", new { owner = "octo-org", repo = "private-thing" }, "upstream_error", 404);
        Assert.Equal("Not Found", failed.GetProperty("data").GetProperty("message").GetString());
        Assert.False(failed.GetProperty("error").GetProperty("retryable").GetBoolean());
    }
}
