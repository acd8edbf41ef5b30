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
/// `RATELIMITED` becomes rate_limited and `FORBIDDEN` insufficient_scope (https://linear.app/developers/rate-limiting).
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
            variables[wire] = tool.Json?.Contains(name) == true ? ParseJson(name, value) : ToolRequest.WithoutNulls(value.DeepClone());
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
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? body;
        try { body = JsonNode.Parse(text); }
        catch (JsonException) { body = null; }
        var limited = body?["errors"] is JsonArray errors && errors.Any(e => Str(e?["extensions"]?["code"]) == "RATELIMITED");
        var answer = new HttpResponseMessage(limited ? System.Net.HttpStatusCode.TooManyRequests : response.StatusCode)
        {
            RequestMessage = request,
            ReasonPhrase = limited ? "Too Many Requests" : response.ReasonPhrase,
            Content = new StringContent(text, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, values) in response.Headers) answer.Headers.TryAddWithoutValidation(name, values);
        response.Dispose();
        return answer;
    }

    public override ToolOutcome Read(JsonNode? body)
    {
        if (body?["errors"] is JsonArray { Count: > 0 } errors)
        {
            var first = errors[0];
            var code = Str(first?["extensions"]?["code"]);
            var error = code switch
            {
                "RATELIMITED" => ErrorCodes.RateLimited,
                "FORBIDDEN" => ErrorCodes.InsufficientScope,
                "AUTHENTICATION_ERROR" => ErrorCodes.Unauthorized,
                _ => ErrorCodes.UpstreamError,
            };
            return new ToolOutcome(false, body, error, $"The provider answered: {Str(first?["message"]) ?? code ?? "GraphQL error"}");
        }
        return new ToolOutcome(true, body?["data"]);
    }

    private static JsonNode? ParseJson(string name, JsonNode value)
    {
        try { return JsonNode.Parse(value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString()); }
        catch (JsonException) { throw new InvalidToolParameter(name, "This parameter takes a JSON value, as a string; it is not valid JSON."); }
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
}
