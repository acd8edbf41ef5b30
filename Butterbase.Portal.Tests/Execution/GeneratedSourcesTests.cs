using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class GraphProductsFixture() : CuratedToolsFixture(FakeProviderStyle.Microsoft,
    new Dictionary<string, string> { ["microsoft-teams"] = "/v1.0", ["onedrive"] = "/v1.0" });

/// <summary>
/// Generated tools from the catalog's new sources run declaratively, with nothing hand-written behind them: the
/// Microsoft Graph products split out as toolkits of their own (Teams, OneDrive: path, OData query options, JSON body,
/// the connection's Bearer token), here; GitHub's operations from its vendor spec (@octokit/openapi) merged behind the
/// hand-made GitHub tools, in <see cref="CuratedGitHubToolsTests"/>.
/// </summary>
public sealed class GeneratedSourcesTests(GraphProductsFixture graph) : IClassFixture<GraphProductsFixture>
{
    [Fact]
    public async Task A_teams_channel_message_is_posted_by_the_generated_graph_operation()
    {
        graph.Api.On("POST", "/v1.0/teams/team-1/channels/channel-1/messages", r => (201, JsonNode.Parse($$"""
            {"id":"1616990032035","messageType":"message","body":{{r.Json!["body"]!.ToJsonString()}}}
            """), null));
        // Graph's own parameter names (`team-id`), as the spec spells them.
        var data = await graph.SucceedsAsync("MICROSOFT_TEAMS_CHANNELS_CREATE_MESSAGES", new Dictionary<string, object>
        {
            ["team-id"] = "team-1", ["channel-id"] = "channel-1", ["body"] = new { body = new { contentType = "text", content = "Deploy done" } },
        });
        Assert.Equal("1616990032035", data.GetProperty("id").GetString());
        var sent = graph.Received("POST", "/v1.0/teams/team-1/channels/channel-1/messages");
        Assert.StartsWith("Bearer ", sent.Headers["Authorization"]);
        Assert.Equal("Deploy done", sent.Json!["body"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Onedrive_drives_are_listed_with_odata_options_and_a_graph_error_is_a_failed_result()
    {
        graph.Api.On("GET", "/v1.0/drives", r => r.QueryValues.ContainsKey("$top")
            ? (200, JsonNode.Parse("""{"value":[{"id":"b!drive1","name":"OneDrive","driveType":"business"}]}"""), null)
            : (400, JsonNode.Parse("""{"error":{"code":"invalidRequest","message":"$top is required here"}}"""), null));
        var data = await graph.SucceedsAsync("ONEDRIVE_DRIVES_DRIVE_LIST_DRIVE", new { top = 5 });
        Assert.Equal("b!drive1", data.GetProperty("value")[0].GetProperty("id").GetString());
        Assert.Equal(["5"], graph.Received("GET", "/v1.0/drives").QueryValues["$top"]);

        var failed = await graph.FailsAsync("ONEDRIVE_DRIVES_DRIVE_LIST_DRIVE", new { }, "upstream_error", 400);
        Assert.Equal("invalidRequest", failed.GetProperty("data").GetProperty("error").GetProperty("code").GetString());
    }
}
