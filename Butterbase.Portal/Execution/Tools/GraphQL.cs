using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Runs a generated tool that carries a GraphQL document (`graphql` in tools/catalog/FORMAT.md; Linear's queries and
/// mutations, converted from @linear/sdk). The tool's in:body parameters are the operation's variables: the request is
/// `POST {apiBaseUrl}{path}` with `{"query": document, "variables": {...}}`, so a caller never writes GraphQL and the tool's
/// schema is the whole contract. GraphQL answers failures as `errors` beside (or instead of) `data`, often with HTTP 200
/// (https://graphql.org/learn/serving-over-http/): an answer with errors is a failed result, never a success; Linear's
/// `RATELIMITED` becomes rate_limited and `FORBIDDEN` forbidden (https://linear.app/developers/rate-limiting).
/// Not registered by name: the runner picks it for any tool with a document.
/// </summary>
public sealed class GraphQLDocumentTool : CodedTool
{
    public static readonly GraphQLDocumentTool Instance = new();

    public override IEnumerable<string> Names => [];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var variables = new JsonObject();
        foreach (var (name, value) in parameters)
        {
            // null = an optional variable left out: GraphQL then applies the argument's default (an explicit null would not)
            if (value is null || tool.In.GetValueOrDefault(name, "body") != "body") continue;
            var wire = tool.WireNames?.GetValueOrDefault(name) ?? name;
            variables[wire] = tool.Json?.Contains(name) == true ? ToolRequest.ParseJson(name, value) : ToolRequest.WithoutNulls(value.DeepClone());
        }
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["query"] = tool.Graphql, ["variables"] = variables });
    }

    /// <summary>
    /// Linear answers a rate-limited request with HTTP 400 and `extensions.code: RATELIMITED`: passed on as the 429 it
    /// means, so the run is rate_limited and retryable like any provider's 429 (the body is kept as it came).
    /// </summary>
    public override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Func<HttpRequestMessage, Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        var response = await send(request);
        if (response.StatusCode != System.Net.HttpStatusCode.BadRequest) return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var limited = Errors(Parse(text)).Any(e => Code(e) == "RATELIMITED");
            var answer = new HttpResponseMessage(limited ? System.Net.HttpStatusCode.TooManyRequests : response.StatusCode)
            {
                RequestMessage = request,
                ReasonPhrase = limited ? "Too Many Requests" : response.ReasonPhrase,
                Content = new StringContent(text, Encoding.UTF8, "application/json"),
            };
            foreach (var (name, values) in response.Headers) answer.Headers.TryAddWithoutValidation(name, values);
            return answer;
        }
    }

    /// <summary>
    /// A 2xx answer: its `data`, or a failure when it carries `errors` (any of them rate-limited makes the run rate_limited).
    /// The answer is the provider's (or a stand-in's) text: anything that is not a GraphQL object is an upstream error, not
    /// an exception. FORBIDDEN is Linear's permission check (a team, a workspace role), not a missing OAuth scope, so it is
    /// forbidden, not insufficient_scope (which would send the user to reconnect for nothing).
    /// </summary>
    public override ToolOutcome Read(JsonNode? body)
    {
        if (body is not JsonObject answer)
            return new ToolOutcome(false, body, ErrorCodes.UpstreamError, "The provider's answer is not a GraphQL response.");
        if (answer["errors"] is null or JsonArray { Count: 0 }) return new ToolOutcome(true, answer["data"]);
        var errors = Errors(answer).ToList();
        var codes = errors.Select(Code).ToList();
        var error = codes.Contains("RATELIMITED") ? ErrorCodes.RateLimited
            : codes.Contains("AUTHENTICATION_ERROR") ? ErrorCodes.Unauthorized
            : codes.Contains("FORBIDDEN") ? ErrorCodes.Forbidden
            : ErrorCodes.UpstreamError;
        var message = errors.Select(e => Str(e["message"])).FirstOrDefault(m => m is not null) ?? codes.FirstOrDefault(c => c is not null) ?? "GraphQL error";
        return new ToolOutcome(false, answer, error, $"The provider answered: {(message.Length > 500 ? message[..500] + "…" : message)}");
    }

    private static JsonNode? Parse(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (JsonException) { return null; }
    }

    /// <summary>The answer's `errors` entries that are objects (a malformed entry is skipped, never an exception).</summary>
    private static IEnumerable<JsonObject> Errors(JsonNode? answer) =>
        answer is JsonObject { } o && o["errors"] is JsonArray errors ? errors.OfType<JsonObject>() : [];

    private static string? Code(JsonObject error) => error["extensions"] is JsonObject extensions ? Str(extensions["code"]) : null;

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
}
