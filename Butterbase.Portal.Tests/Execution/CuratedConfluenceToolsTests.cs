using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class ConfluenceToolkitFixture() : AtlassianToolkitFixture("confluence", "confluence");

/// <summary>
/// Confluence Cloud REST v2 (https://developer.atlassian.com/cloud/confluence/rest/v2/) and the v1 CQL search: bodies in
/// storage format, cursor paging under `_links.next`, errors as `{errors: [{status, code, title, detail}]}`.
/// </summary>
public sealed class CuratedConfluenceToolsTests(ConfluenceToolkitFixture confluence) : IClassFixture<ConfluenceToolkitFixture>
{
    private FakeProviderApi Api => confluence.Api;
    private string W => confluence.Site + "/wiki/api/v2";
    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task Spaces_pages_and_children_are_listed_with_their_filters()
    {
        Api.On("GET", W + "/spaces", _ => (200, Json("""{"results":[{"id":"98306","key":"DEV","name":"Development","type":"global"}],"_links":{"next":"/wiki/api/v2/spaces?cursor=abc"}}"""), null));
        Api.On("GET", W + "/pages", _ => (200, Json("""{"results":[{"id":"65732","title":"Release notes","spaceId":"98306","version":{"number":3}}],"_links":{}}"""), null));
        Api.On("GET", W + "/pages/65732/children", _ => (200, Json("""{"results":[{"id":"65800","title":"2.0","status":"current"}],"_links":{}}"""), null));

        var spaces = await confluence.SucceedsAsync("CONFLUENCE_LIST_SPACES", new { keys = new[] { "DEV", "OPS" }, limit = 10, cursor = (string?)null });
        Assert.Equal("98306", spaces.GetProperty("results")[0].GetProperty("id").GetString());
        Assert.Equal("DEV,OPS", confluence.Received("GET", W + "/spaces").QueryValues["keys"].Single());

        var pages = await confluence.SucceedsAsync("CONFLUENCE_LIST_PAGES", new { space_id = new[] { "98306" }, title = "Release notes", limit = (int?)null, cursor = (string?)null });
        Assert.Equal("65732", pages.GetProperty("results")[0].GetProperty("id").GetString());
        var sent = confluence.Received("GET", W + "/pages").QueryValues;
        Assert.Equal("98306", sent["space-id"].Single()); // the API's own parameter name
        Assert.Equal("Release notes", sent["title"].Single());

        var children = await confluence.SucceedsAsync("CONFLUENCE_GET_PAGE_CHILDREN", new { id = "65732", limit = 5, cursor = (string?)null });
        Assert.Equal("2.0", children.GetProperty("results")[0].GetProperty("title").GetString());
    }

    [Fact]
    public async Task Get_create_update_and_delete_a_page_in_storage_format()
    {
        Api.On("GET", W + "/pages/65732", _ => (200, Json("""{"id":"65732","title":"Release notes","version":{"number":3},"body":{"storage":{"representation":"storage","value":"<p>v1</p>"}}}"""), null));
        Api.On("POST", W + "/pages", _ => (200, Json("""{"id":"65900","title":"Runbook","spaceId":"98306","version":{"number":1}}"""), null));
        Api.On("PUT", W + "/pages/65732", _ => (200, Json("""{"id":"65732","title":"Release notes","version":{"number":4}}"""), null));
        Api.On("DELETE", W + "/pages/65900", _ => (204, null, null));

        var page = await confluence.SucceedsAsync("CONFLUENCE_GET_PAGE", new { id = "65732", body_format = "storage" });
        Assert.Equal("<p>v1</p>", page.GetProperty("body").GetProperty("storage").GetProperty("value").GetString());
        Assert.Equal("storage", confluence.Received("GET", W + "/pages/65732").QueryValues["body-format"].Single());

        await confluence.SucceedsAsync("CONFLUENCE_CREATE_PAGE", new { spaceId = "98306", title = "Runbook", parentId = "65732", status = "current", body = new { representation = "storage", value = "<p>Steps</p>" } });
        Assert.True(JsonNode.DeepEquals(Json("""
            {"spaceId":"98306","title":"Runbook","parentId":"65732","status":"current","body":{"representation":"storage","value":"<p>Steps</p>"}}
            """), confluence.Received("POST", W + "/pages").Json));

        var updated = await confluence.SucceedsAsync("CONFLUENCE_UPDATE_PAGE", new { id = "65732", status = "current", title = "Release notes", body = new { representation = "storage", value = "<p>v2</p>" }, version = new { number = 4, message = (string?)null } });
        Assert.Equal(4, updated.GetProperty("version").GetProperty("number").GetInt32());
        Assert.True(JsonNode.DeepEquals(Json("""
            {"status":"current","title":"Release notes","body":{"representation":"storage","value":"<p>v2</p>"},"version":{"number":4}}
            """), confluence.Received("PUT", W + "/pages/65732").Json));

        await confluence.SucceedsAsync("CONFLUENCE_DELETE_PAGE", new { id = "65900" });
        confluence.Received("DELETE", W + "/pages/65900");
    }

    [Fact]
    public async Task A_stale_version_number_is_Confluences_409()
    {
        Api.On("PUT", W + "/pages/65732", _ => (409, Json("""
            {"errors":[{"status":409,"code":"CONFLICT","title":"Version must be incremented when updating a page. Current Version: [4]. Provided version: [4]","detail":null}]}
            """), null));
        var result = await confluence.FailsAsync("CONFLUENCE_UPDATE_PAGE", new { id = "65732", status = "current", title = "T", body = new { representation = "storage", value = "<p/>" }, version = new { number = 4, message = "again" } }, "upstream_error", 409);
        Assert.Equal("CONFLICT", result.GetProperty("data").GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Footer_comment_and_cql_search()
    {
        Api.On("POST", W + "/footer-comments", _ => (200, Json("""{"id":"70001","pageId":"65732","version":{"number":1}}"""), null));
        Api.On("GET", confluence.Site + "/wiki/rest/api/search", _ => (200, Json("""{"results":[{"content":{"id":"65732","type":"page","title":"Release notes"},"excerpt":"release notes for 2.0"}],"size":1}"""), null));

        var comment = await confluence.SucceedsAsync("CONFLUENCE_ADD_FOOTER_COMMENT", new { pageId = "65732", body = new { representation = "storage", value = "<p>LGTM</p>" } });
        Assert.Equal("70001", comment.GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"pageId":"65732","body":{"representation":"storage","value":"<p>LGTM</p>"}}"""), confluence.Received("POST", W + "/footer-comments").Json));

        var found = await confluence.SucceedsAsync("CONFLUENCE_SEARCH", new { cql = "type = page AND text ~ \"release notes\"", limit = 10, cursor = (string?)null });
        Assert.Equal("65732", found.GetProperty("results")[0].GetProperty("content").GetProperty("id").GetString());
        Assert.Equal("type = page AND text ~ \"release notes\"", confluence.Received("GET", confluence.Site + "/wiki/rest/api/search").QueryValues["cql"].Single());
    }
}
