using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// Atlassian 3LO: after consent the atlassian_cloudid quirk reads the site from the accessible-resources stand-in, and the
/// toolkit's address `…/ex/{product}/{cloudId}` is filled with it (https://developer.atlassian.com/cloud/oauth/getting-started/making-calls-to-api/).
/// </summary>
public abstract class AtlassianToolkitFixture(string slug, string product) : CuratedToolsFixture(FakeProviderStyle.Generic,
    new Dictionary<string, string> { [slug] = $"/ex/{product}/{{cloudId}}" })
{
    public const string CloudId = "1324a887-45db-1bf4-1e99-ef0ff456d421";
    public string Site => $"/ex/{product}/{CloudId}";

    protected override void Configure(PortalApplication portal)
    {
        Api.On("GET", "/oauth/token/accessible-resources", _ => (200, JsonNode.Parse($$"""
            [{"id":"{{CloudId}}","name":"Acme","url":"https://acme.atlassian.net","scopes":["read:jira-work","write:jira-work","read:page:confluence"],"avatarUrl":"https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png"}]
            """), null));
        portal.With($"Butterbase:Toolkits:{slug}:AccessibleResourcesUrl", Api.BaseUrl + "/oauth/token/accessible-resources");
    }
}

public sealed class JiraToolkitFixture() : AtlassianToolkitFixture("jira", "jira");

/// <summary>
/// Jira Cloud REST v3 (https://developer.atlassian.com/cloud/jira/platform/rest/v3/): errors are
/// `{errorMessages: [...], errors: {field: message}}`; edits, transitions and assignments answer 204.
/// </summary>
public sealed class CuratedJiraToolsTests(JiraToolkitFixture jira) : IClassFixture<JiraToolkitFixture>
{
    private FakeProviderApi Api => jira.Api;
    private string R => jira.Site + "/rest/api/3";
    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task Search_with_jql_sends_jql_fields_and_paging_to_the_sites_cloud_id()
    {
        Api.On("GET", R + "/search/jql", _ => (200, Json("""
            {"issues":[{"id":"10001","key":"PROJ-1","fields":{"summary":"Fix login","status":{"name":"In Progress"}}}],"nextPageToken":"CAEaAggD","isLast":false}
            """), null));
        var page = await jira.SucceedsAsync("JIRA_SEARCH_ISSUES", new { jql = "project = PROJ AND status = \"In Progress\"", fields = new[] { "summary", "status" }, maxResults = 20, nextPageToken = (string?)null });
        Assert.Equal("PROJ-1", page.GetProperty("issues")[0].GetProperty("key").GetString());
        var sent = jira.Received("GET", R + "/search/jql").QueryValues;
        Assert.Equal("project = PROJ AND status = \"In Progress\"", sent["jql"].Single());
        Assert.Equal("summary,status", sent["fields"].Single());
        Assert.Equal("20", sent["maxResults"].Single());
        Assert.False(sent.ContainsKey("nextPageToken"));
    }

    [Fact]
    public async Task Get_create_edit_and_delete_an_issue()
    {
        Api.On("GET", R + "/issue/PROJ-1", _ => (200, Json("""{"id":"10001","key":"PROJ-1","fields":{"summary":"Fix login"}}"""), null));
        Api.On("POST", R + "/issue", _ => (201, Json("""{"id":"10002","key":"PROJ-2","self":"https://api.atlassian.com/ex/jira/x/rest/api/3/issue/10002"}"""), null));
        Api.On("PUT", R + "/issue/PROJ-2", _ => (204, null, null));
        Api.On("DELETE", R + "/issue/PROJ-2", _ => (204, null, null));

        var issue = await jira.SucceedsAsync("JIRA_GET_ISSUE", new { issueIdOrKey = "PROJ-1", fields = new[] { "summary" } });
        Assert.Equal("Fix login", issue.GetProperty("fields").GetProperty("summary").GetString());

        var created = await jira.SucceedsAsync("JIRA_CREATE_ISSUE", new { fields = """{"project":{"key":"PROJ"},"issuetype":{"name":"Task"},"summary":"Write docs"}""" });
        Assert.Equal("PROJ-2", created.GetProperty("key").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"fields":{"project":{"key":"PROJ"},"issuetype":{"name":"Task"},"summary":"Write docs"}}"""), jira.Received("POST", R + "/issue").Json));

        await jira.SucceedsAsync("JIRA_EDIT_ISSUE", new { issueIdOrKey = "PROJ-2", fields = """{"labels":["docs"]}""" });
        Assert.True(JsonNode.DeepEquals(Json("""{"fields":{"labels":["docs"]}}"""), jira.Received("PUT", R + "/issue/PROJ-2").Json));

        await jira.SucceedsAsync("JIRA_DELETE_ISSUE", new { issueIdOrKey = "PROJ-2", deleteSubtasks = true });
        Assert.Equal("true", jira.Received("DELETE", R + "/issue/PROJ-2").QueryValues["deleteSubtasks"].Single());
    }

    [Fact]
    public async Task A_create_without_a_summary_is_Jiras_400_with_field_errors()
    {
        Api.On("POST", R + "/issue", _ => (400, Json("""{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue."}}"""), null));
        var result = await jira.FailsAsync("JIRA_CREATE_ISSUE", new { fields = """{"project":{"key":"PROJ"},"issuetype":{"name":"Task"}}""" }, "upstream_error", 400);
        Assert.Equal("You must specify a summary of the issue.", result.GetProperty("data").GetProperty("errors").GetProperty("summary").GetString());
    }

    [Fact]
    public async Task Comment_transitions_and_assignment()
    {
        Api.On("POST", R + "/issue/PROJ-1/comment", _ => (201, Json("""{"id":"10100","author":{"accountId":"5b10ac8d82e05b22cc7d4ef5"},"created":"2025-06-01T10:00:00.000+0000"}"""), null));
        Api.On("GET", R + "/issue/PROJ-1/transitions", _ => (200, Json("""{"transitions":[{"id":"31","name":"Done","to":{"name":"Done"}}]}"""), null));
        Api.On("POST", R + "/issue/PROJ-1/transitions", _ => (204, null, null));
        Api.On("PUT", R + "/issue/PROJ-1/assignee", _ => (204, null, null));

        var adf = """{"type":"doc","version":1,"content":[{"type":"paragraph","content":[{"type":"text","text":"Done"}]}]}""";
        var comment = await jira.SucceedsAsync("JIRA_ADD_COMMENT", new { issueIdOrKey = "PROJ-1", body = adf });
        Assert.Equal("10100", comment.GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json($$"""{"body":{{adf}}}"""), jira.Received("POST", R + "/issue/PROJ-1/comment").Json));

        var transitions = await jira.SucceedsAsync("JIRA_GET_TRANSITIONS", new { issueIdOrKey = "PROJ-1" });
        Assert.Equal("31", transitions.GetProperty("transitions")[0].GetProperty("id").GetString());
        await jira.SucceedsAsync("JIRA_TRANSITION_ISSUE", new { issueIdOrKey = "PROJ-1", transition = new { id = "31" } });
        Assert.True(JsonNode.DeepEquals(Json("""{"transition":{"id":"31"}}"""), jira.Received("POST", R + "/issue/PROJ-1/transitions").Json));

        await jira.SucceedsAsync("JIRA_ASSIGN_ISSUE", new { issueIdOrKey = "PROJ-1", accountId = "5b10ac8d82e05b22cc7d4ef5" });
        Assert.True(JsonNode.DeepEquals(Json("""{"accountId":"5b10ac8d82e05b22cc7d4ef5"}"""), jira.Received("PUT", R + "/issue/PROJ-1/assignee").Json));
    }

    [Fact]
    public async Task Projects_users_and_myself()
    {
        Api.On("GET", R + "/project/search", _ => (200, Json("""{"values":[{"id":"10000","key":"PROJ","name":"Project"}],"total":1,"isLast":true,"startAt":0,"maxResults":50}"""), null));
        Api.On("GET", R + "/user/search", _ => (200, Json("""[{"accountId":"5b10ac8d82e05b22cc7d4ef5","displayName":"Ada Lovelace","active":true}]"""), null));
        Api.On("GET", R + "/myself", _ => (200, Json("""{"accountId":"5b10ac8d82e05b22cc7d4ef5","displayName":"Ada Lovelace","timeZone":"Europe/London"}"""), null));

        var projects = await jira.SucceedsAsync("JIRA_SEARCH_PROJECTS", new { query = "proj", maxResults = (int?)null, startAt = 0 });
        Assert.Equal("PROJ", projects.GetProperty("values")[0].GetProperty("key").GetString());
        Assert.Equal("proj", jira.Received("GET", R + "/project/search").QueryValues["query"].Single());

        var users = await jira.SucceedsAsync("JIRA_FIND_USERS", new { query = "ada", maxResults = 5 });
        Assert.Equal("5b10ac8d82e05b22cc7d4ef5", users[0].GetProperty("accountId").GetString());

        var me = await jira.SucceedsAsync("JIRA_GET_CURRENT_USER", null);
        Assert.Equal("Europe/London", me.GetProperty("timeZone").GetString());
    }

    [Fact]
    public async Task A_missing_issue_is_Jiras_404()
    {
        Api.On("GET", R + "/issue/PROJ-404", _ => (404, Json("""{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}"""), null));
        await jira.FailsAsync("JIRA_GET_ISSUE", new { issueIdOrKey = "PROJ-404", fields = (string[]?)null }, "upstream_error", 404);
    }
}
