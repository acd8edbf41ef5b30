using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>Three generated (OpenAPI) toolkits behind one generic OAuth provider, each API under its real base path.</summary>
public sealed class LongTailToolkitsFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string>
{
    ["asana"] = "/api/1.0", // https://app.asana.com/api/1.0
    ["zoom"] = "/v2",       // https://api.zoom.us/v2
    ["box"] = "/2.0",       // https://api.box.com/2.0
});

/// <summary>
/// Long-tail tools (kind "http", generated from APIs.guru specs) run declaratively: path parameters escaped into the
/// template, query parameters in the URL, the rest as the JSON body — checked against the exact request received.
/// Beside the curated toolkits, so the whole curated set proves the declarative path too.
/// </summary>
public sealed class CuratedLongTailToolsTests(LongTailToolkitsFixture longTail) : IClassFixture<LongTailToolkitsFixture>
{
    private FakeProviderApi Api => longTail.Api;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task Asana_create_section_puts_the_project_in_the_path_options_in_the_query_and_data_in_the_body()
    {
        // https://developers.asana.com/reference/createsectionforproject
        Api.On("POST", "/api/1.0/projects/1204567890123456/sections", r => (201, Json($$$"""
            {"data":{"gid":"1209999999999999","resource_type":"section","name":{{{r.Json!["data"]!["name"]!.ToJsonString()}}}}}
            """), null));
        var data = await longTail.SucceedsAsync("ASANA_CREATE_SECTION_FOR_PROJECT", new { project_gid = "1204567890123456", opt_pretty = true, data = new { name = "Backlog / Q3" } });
        Assert.Equal("1209999999999999", data.GetProperty("data").GetProperty("gid").GetString());

        var sent = longTail.Received("POST", "/api/1.0/projects/1204567890123456/sections");
        Assert.Equal("?opt_pretty=true", sent.Query);
        Assert.StartsWith("Bearer at-", sent.Headers["Authorization"]);
        Assert.StartsWith("application/json", sent.Headers["Content-Type"]);
        // Optional properties left out are not sent at all (not as explicit nulls, which providers may reject).
        Assert.True(JsonNode.DeepEquals(Json("""{"data":{"name":"Backlog / Q3"}}"""), sent.Json), sent.Body);
    }

    [Fact]
    public async Task Array_query_parameters_go_as_the_spec_says_one_comma_list_or_repeated()
    {
        // Asana's spec: opt_fields is `style: form, explode: false` → `opt_fields=name,owner,due_on`
        // (https://developers.asana.com/docs/inputoutput-options); time_periods on GET /goals is exploded → repeated.
        Api.On("GET", "/api/1.0/projects", _ => (200, Json("""{"data":[{"gid":"1","name":"Launch"}]}"""), null));
        Api.On("GET", "/api/1.0/goals", _ => (200, Json("""{"data":[]}"""), null));
        await longTail.SucceedsAsync("ASANA_GET_PROJECTS", new { opt_fields = new[] { "name", "owner", "due_on" }, limit = 10 });
        await longTail.SucceedsAsync("ASANA_GET_GOALS", new { time_periods = new[] { "11", "12" }, opt_fields = new[] { "name" } });

        var projects = longTail.Received("GET", "/api/1.0/projects");
        Assert.Equal(["name,owner,due_on"], projects.QueryValues["opt_fields"]);
        Assert.Equal(["10"], projects.QueryValues["limit"]);
        var goals = longTail.Received("GET", "/api/1.0/goals");
        Assert.Equal(["11", "12"], goals.QueryValues["time_periods"]);
        Assert.Equal(["name"], goals.QueryValues["opt_fields"]);
    }

    [Fact]
    public async Task A_path_template_with_a_fragment_still_sends_its_query_box_add_shared_link()
    {
        // Box's spec keys this operation `PUT /files/{file_id}#add_shared_link` (the fragment tells it apart from the
        // plain update); the real call is `PUT /files/:file_id?fields=shared_link`
        // (https://developer.box.com/reference/put-files-id--add-shared-link/). A query appended after the `#` was never sent.
        Api.On("PUT", "/2.0/files/12345", _ => (200, Json("""{"type":"file","id":"12345","shared_link":{"url":"https://app.box.com/s/abc","access":"open"}}"""), null));
        var data = await longTail.SucceedsAsync("BOX_PUT_FILES_ID_ADD_SHARED_LINK", new { file_id = "12345", fields = "shared_link", shared_link = new { access = "open" } });
        Assert.Equal("https://app.box.com/s/abc", data.GetProperty("shared_link").GetProperty("url").GetString());

        var sent = longTail.Received("PUT", "/2.0/files/12345");
        Assert.Equal("?fields=shared_link", sent.Query);
        Assert.True(JsonNode.DeepEquals(Json("""{"shared_link":{"access":"open"}}"""), sent.Json), sent.Body);
    }

    [Fact]
    public async Task Zoom_update_meeting_patches_with_a_64_bit_id_in_the_path_and_the_occurrence_in_the_query()
    {
        // https://developers.zoom.us/docs/api/meetings/#tag/meetings/PATCH/meetings/{meetingId}: 204 No Content.
        Api.On("PATCH", "/v2/meetings/85746065432", _ => (204, null, null));
        await longTail.SucceedsAsync("ZOOM_MEETING_UPDATE", new { meetingId = 85746065432L, occurrence_id = "1648194360000", topic = "Weekly sync", duration = 45, timezone = "Europe/Berlin" });

        var sent = longTail.Received("PATCH", "/v2/meetings/85746065432");
        Assert.Equal("?occurrence_id=1648194360000", sent.Query);
        Assert.True(JsonNode.DeepEquals(Json("""{"topic":"Weekly sync","duration":45,"timezone":"Europe/Berlin"}"""), sent.Json), sent.Body);
    }

    [Fact]
    public async Task Box_copy_file_escapes_the_path_parameter_and_sends_a_nested_parent()
    {
        // https://developer.box.com/reference/post-files-id-copy/
        Api.On("POST", "/2.0/files/12345/copy", _ => (201, Json("""{"type":"file","id":"67890","name":"Copy of report.pdf","parent":{"type":"folder","id":"0"}}"""), null));
        var data = await longTail.SucceedsAsync("BOX_POST_FILES_ID_COPY", new { file_id = "12345", fields = new[] { "name" }, name = "Copy of report.pdf", parent = new { id = "0" } });
        Assert.Equal("67890", data.GetProperty("id").GetString());

        var sent = longTail.Received("POST", "/2.0/files/12345/copy");
        Assert.Equal("?fields=name", sent.Query);
        Assert.True(JsonNode.DeepEquals(Json("""{"name":"Copy of report.pdf","parent":{"id":"0"}}"""), sent.Json), sent.Body);

        // A path parameter is one escaped segment: it cannot add a query or reach another endpoint.
        await longTail.FailsAsync("BOX_POST_FILES_ID_COPY", new { file_id = "a b?x=1#y", parent = new { id = "0" } }, "upstream_error", 404);
        var escaped = Api.Requests.Last();
        Assert.Equal("POST", escaped.Method);
        Assert.Equal("", escaped.Query);
        Assert.Equal("/2.0/files/a b?x=1#y/copy", Uri.UnescapeDataString(escaped.Path));
    }
}
