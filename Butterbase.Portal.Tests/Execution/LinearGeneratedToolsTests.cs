using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class LinearFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string> { ["linear"] = "" });

/// <summary>
/// Linear's tools are generated from the GraphQL documents of @linear/sdk (tools/catalog/sources/linear.mjs) and run
/// declaratively: `POST /graphql` with the operation's document and the tool's parameters as `variables`, the
/// connection's Bearer token, and GraphQL's `errors` (HTTP 200, or Linear's 400 RATELIMITED) as failed results.
/// The stand-in answers as api.linear.app does: `{data}` or `{errors: [{message, extensions: {code}}]}`.
/// </summary>
public sealed class LinearGeneratedToolsTests(LinearFixture linear) : IClassFixture<LinearFixture>
{
    private static (int, object?, IReadOnlyDictionary<string, string>?) Answer(FakeProviderApi.Received r)
    {
        var query = r.Json!["query"]!.GetValue<string>();
        var variables = r.Json!["variables"]!.AsObject();
        if (query.StartsWith("mutation createIssue(", StringComparison.Ordinal))
        {
            var input = variables["input"]!;
            return input["teamId"]?.GetValue<string>() == "team-unknown"
                ? (200, JsonNode.Parse("""{"data":null,"errors":[{"message":"Entity not found: Team","extensions":{"code":"INVALID_INPUT","type":"invalid input"}}]}"""), null)
                : (200, JsonNode.Parse("""{"data":{"issueCreate":{"__typename":"IssuePayload","lastSyncId":42,"success":true,"issue":{"id":"9cfb482a-81e3-4154-b5b9-2c805e70a02d"}}}}"""), null);
        }
        if (query.StartsWith("query issues(", StringComparison.Ordinal))
            return (200, JsonNode.Parse("""{"data":{"issues":{"__typename":"IssueConnection","nodes":[{"id":"i-1","identifier":"ENG-1","title":"Crash on save"}],"pageInfo":{"hasNextPage":false,"endCursor":"c1"}}}}"""), null);
        if (query.StartsWith("query viewer{", StringComparison.Ordinal))
            return (400, JsonNode.Parse("""{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED","userPresentableMessage":"Too many requests"}}]}"""), null);
        return (400, JsonNode.Parse("""{"errors":[{"message":"Unknown operation","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}"""), null);
    }

    [Fact]
    public async Task An_issue_is_created_by_the_generated_mutation_with_its_input_as_variables()
    {
        linear.Api.On("POST", "/graphql", Answer);
        var data = await linear.SucceedsAsync("LINEAR_CREATE_ISSUE", new
        {
            input = new { teamId = "team-1", title = "Crash on save", priority = 2, labelIds = new[] { "l-1" } },
        });
        // The answer's `data`, not the GraphQL envelope.
        Assert.Equal("9cfb482a-81e3-4154-b5b9-2c805e70a02d", data.GetProperty("issueCreate").GetProperty("issue").GetProperty("id").GetString());

        var sent = linear.Received("POST", "/graphql");
        Assert.StartsWith("Bearer ", sent.Headers["Authorization"]);
        Assert.StartsWith("application/json", sent.Headers["Content-Type"]);
        var body = sent.Json!.AsObject();
        Assert.Equal(["query", "variables"], body.Select(p => p.Key).Order());
        // The SDK's own document, fragments included, whitespace stripped.
        Assert.StartsWith("mutation createIssue($input:IssueCreateInput!){issueCreate(input:$input){...IssuePayload}}", body["query"]!.GetValue<string>());
        Assert.Contains("fragment IssuePayload on IssuePayload", body["query"]!.GetValue<string>());
        var input = body["variables"]!["input"]!.AsObject();
        Assert.Equal("team-1", input["teamId"]!.GetValue<string>());
        Assert.Equal(2, input["priority"]!.GetValue<int>());
        // Optional input fields the caller left out (strict mode's nulls) are not sent: GraphQL would read null as "clear".
        Assert.False(input.ContainsKey("description"));
        Assert.Equal(4, input.Count);
    }

    [Fact]
    public async Task Issues_are_listed_with_a_filter_given_as_json_text_and_left_out_variables_are_not_sent()
    {
        linear.Api.On("POST", "/graphql", Answer);
        var data = await linear.SucceedsAsync("LINEAR_ISSUES", new
        {
            first = 10,
            filter = """{"team":{"key":{"eq":"ENG"}},"state":{"type":{"neq":"completed"}}}""",
        });
        Assert.Equal("ENG-1", data.GetProperty("issues").GetProperty("nodes")[0].GetProperty("identifier").GetString());

        var variables = linear.Received("POST", "/graphql").Json!["variables"]!.AsObject();
        Assert.Equal(10, variables["first"]!.GetValue<int>());
        // Linear's IssueFilter is too large for a tool schema: the tool takes it as JSON text and sends it as an object.
        Assert.Equal("ENG", variables["filter"]!["team"]!["key"]!["eq"]!.GetValue<string>());
        Assert.Equal(["filter", "first"], variables.Select(p => p.Key).Order());
    }

    [Fact]
    public async Task A_graphql_error_answered_with_200_is_a_failed_result_never_a_success()
    {
        linear.Api.On("POST", "/graphql", Answer);
        var failed = await linear.FailsAsync("LINEAR_CREATE_ISSUE", new { input = new { teamId = "team-unknown", title = "x" } }, "upstream_error", null);
        Assert.Contains("Entity not found: Team", failed.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("INVALID_INPUT", failed.GetProperty("data").GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Linears_ratelimited_400_is_a_retryable_rate_limited_failure()
    {
        linear.Api.On("POST", "/graphql", Answer);
        var failed = await linear.FailsAsync("LINEAR_VIEWER", null, "rate_limited", 429);
        Assert.True(failed.GetProperty("error").GetProperty("retryable").GetBoolean());
        // A tool without variables still sends the document with an empty variables object.
        var body = linear.Received("POST", "/graphql").Json!;
        Assert.StartsWith("query viewer{viewer{", body["query"]!.GetValue<string>());
        Assert.Empty(body["variables"]!.AsObject());
    }

    /// <summary>
    /// What comes back is the provider's (or whatever answers at its address): an HTML page, an `errors` list of strings,
    /// extensions that are not an object. Each is a failed result with its row, never a 500 (they threw before).
    /// Linear's FORBIDDEN is a permission check, not a missing scope: forbidden, with no reconnect link.
    /// </summary>
    [Fact]
    public async Task An_answer_that_is_not_a_graphql_object_is_a_failed_result_not_a_server_error()
    {
        linear.Api.On("POST", "/graphql", _ => (200, new FakeProviderApi.RawBody("<html>Bad gateway</html>"u8.ToArray(), "text/html"), null));
        var html = await linear.FailsAsync("LINEAR_VIEWER", null, "upstream_error", null);
        Assert.StartsWith("ex_", html.GetProperty("executionId").GetString());

        linear.Api.On("POST", "/graphql", _ => (400, JsonNode.Parse("""{"errors":["x",{"message":"m","extensions":"y"}]}"""), null));
        await linear.FailsAsync("LINEAR_VIEWER", null, "upstream_error", 400);

        linear.Api.On("POST", "/graphql", _ => (200, JsonNode.Parse("""{"data":null,"errors":["x",{"message":"You cannot access this team","extensions":{"code":"FORBIDDEN"}}]}"""), null));
        var forbidden = await linear.FailsAsync("LINEAR_VIEWER", null, "forbidden", null);
        Assert.Contains("You cannot access this team", forbidden.GetProperty("error").GetProperty("message").GetString());
        Assert.False(forbidden.GetProperty("error").TryGetProperty("reconnect_url", out _));
    }

    [Fact]
    public async Task A_filter_that_is_not_json_is_refused_before_linear_is_called()
    {
        linear.Api.On("POST", "/graphql", Answer);
        var before = linear.Api.Requests.Count;
        await JsonAssert.ErrorAsync(await linear.PostExecuteAsync("LINEAR_ISSUES", new { filter = "{team: ENG" }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, linear.Api.Requests.Count);
    }
}
