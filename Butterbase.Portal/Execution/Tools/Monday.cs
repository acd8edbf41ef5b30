using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// monday.com's platform API is one GraphQL endpoint, `POST https://api.monday.com/v2` with `{query, variables}`
/// (https://developer.monday.com/api-reference/docs/basics). Each MONDAY_ tool is a fixed query document whose variables are
/// exactly the tool's parameters, so callers never write GraphQL and the catalog's schema is the whole contract. The
/// answer's `data` is the result. GraphQL failures come back as HTTP 200 with `errors`
/// (https://developer.monday.com/api-reference/docs/errors): they are failed results, never successes, with rate and
/// complexity limits as rate_limited and permission errors as insufficient_scope.
/// </summary>
public sealed class MondayGraphQL : CodedTool
{
    private const string ItemFields = "id name state created_at updated_at group { id title } column_values { id type text value }";

    /// <summary>Tool name → query document. Nullable variables a caller leaves out are not sent (GraphQL treats them as absent).</summary>
    internal static readonly IReadOnlyDictionary<string, string> Documents = new Dictionary<string, string>
    {
        ["MONDAY_GET_ME"] = "query { me { id name email title is_admin time_zone_identifier account { id name slug tier } } }",
        ["MONDAY_LIST_WORKSPACES"] = "query ($limit: Int, $page: Int) { workspaces(limit: $limit, page: $page) { id name kind description } }",
        ["MONDAY_LIST_BOARDS"] = "query ($limit: Int, $page: Int, $workspace_ids: [ID], $state: State) { boards(limit: $limit, page: $page, workspace_ids: $workspace_ids, state: $state) "
            + "{ id name description state board_kind workspace_id items_count updated_at } }",
        ["MONDAY_GET_BOARD"] = "query ($board_id: ID!) { boards(ids: [$board_id]) { id name description state board_kind workspace_id "
            + "columns { id title type settings_str } groups { id title color position } owners { id name } } }",
        ["MONDAY_LIST_ITEMS"] = "query ($board_id: ID!, $limit: Int, $cursor: String) { boards(ids: [$board_id]) { items_page(limit: $limit, cursor: $cursor) { cursor items { "
            + ItemFields + " } } } }",
        ["MONDAY_GET_ITEMS"] = "query ($item_ids: [ID!]) { items(ids: $item_ids) { " + ItemFields + " board { id name } } }",
        ["MONDAY_CREATE_ITEM"] = "mutation ($board_id: ID!, $item_name: String!, $group_id: String, $column_values: JSON, $create_labels_if_missing: Boolean) "
            + "{ create_item(board_id: $board_id, item_name: $item_name, group_id: $group_id, column_values: $column_values, create_labels_if_missing: $create_labels_if_missing) { id name } }",
        ["MONDAY_CHANGE_COLUMN_VALUES"] = "mutation ($board_id: ID!, $item_id: ID!, $column_values: JSON!, $create_labels_if_missing: Boolean) "
            + "{ change_multiple_column_values(board_id: $board_id, item_id: $item_id, column_values: $column_values, create_labels_if_missing: $create_labels_if_missing) "
            + "{ id name column_values { id text } } }",
        ["MONDAY_MOVE_ITEM_TO_GROUP"] = "mutation ($item_id: ID!, $group_id: String!) { move_item_to_group(item_id: $item_id, group_id: $group_id) { id } }",
        ["MONDAY_DELETE_ITEM"] = "mutation ($item_id: ID!) { delete_item(item_id: $item_id) { id } }",
        ["MONDAY_CREATE_UPDATE"] = "mutation ($item_id: ID!, $body: String!) { create_update(item_id: $item_id, body: $body) { id body created_at creator_id } }",
        ["MONDAY_CREATE_BOARD"] = "mutation ($board_name: String!, $board_kind: BoardKind!, $workspace_id: ID, $description: String) "
            + "{ create_board(board_name: $board_name, board_kind: $board_kind, workspace_id: $workspace_id, description: $description) { id name } }",
        ["MONDAY_CREATE_GROUP"] = "mutation ($board_id: ID!, $group_name: String!) { create_group(board_id: $board_id, group_name: $group_name) { id title } }",
        ["MONDAY_LIST_USERS"] = "query ($limit: Int, $page: Int, $emails: [String]) { users(limit: $limit, page: $page, emails: $emails) { id name email enabled is_admin is_guest title } }",
    };

    /// <summary>Error codes of monday's rate, complexity and concurrency limits (https://developer.monday.com/api-reference/docs/rate-limits).</summary>
    private static readonly HashSet<string> RateLimitCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        "ComplexityException", "maxComplexityExceeded", "RATE_LIMIT_EXCEEDED", "DAILY_LIMIT_EXCEEDED", "IP_RATE_LIMIT_EXCEEDED", "CONCURRENCY_LIMIT_EXCEEDED",
    };

    public override IEnumerable<string> Names => Documents.Keys;

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        // column_values is monday's JSON scalar, sent as JSON text (https://developer.monday.com/api-reference/docs/change-column-values):
        // refuse text that is not a JSON object here rather than spend the caller's complexity budget on monday's parse error.
        if (Text(parameters, "column_values") is { } columns)
        {
            JsonNode? parsed;
            try { parsed = JsonNode.Parse(columns); }
            catch (JsonException) { parsed = null; }
            if (parsed is not JsonObject)
                throw new InvalidToolParameter("column_values", "Give a JSON object of column id to value, e.g. {\"status\": {\"label\": \"Done\"}, \"date4\": {\"date\": \"2025-06-01\"}}.");
        }
        var variables = new JsonObject(parameters.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value!.DeepClone())));
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["query"] = Documents[tool.Name], ["variables"] = variables });
    }

    public override ToolOutcome Read(JsonNode? body)
    {
        // Whatever answers at the API's address: a body that is not an object is an upstream error, never an exception.
        if (body is not JsonObject)
            return new ToolOutcome(false, body, ErrorCodes.UpstreamError, "monday.com's answer is not a GraphQL response.");
        // API versions 2024-01 and later: {errors: [{message, extensions: {code, status_code, error_data}}], data, account_id}.
        if (body["errors"] is JsonArray { Count: > 0 } errors)
        {
            var first = errors[0] as JsonObject;
            var extensions = first?["extensions"] as JsonObject;
            var code = Str(extensions?["code"]);
            var status = extensions?["status_code"] is JsonValue s && s.TryGetValue<int>(out var n) ? n : (int?)null;
            return new ToolOutcome(false, body, ErrorCode(code, status), $"monday.com answered: {Str(first?["message"]) ?? code ?? "error"}");
        }
        // Older versions: {error_code, error_message, status_code} at the top level.
        if (Str(body["error_code"]) is { } legacy)
        {
            var status = body["status_code"] is JsonValue s && s.TryGetValue<int>(out var n) ? n : (int?)null;
            return new ToolOutcome(false, body, ErrorCode(legacy, status), $"monday.com answered: {Str(body["error_message"]) ?? legacy}");
        }
        return new ToolOutcome(true, body["data"]);
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;

    private static string ErrorCode(string? code, int? status) =>
        status == 429 || code is not null && RateLimitCodes.Contains(code) ? "rate_limited"
        : status == 403 || code is "UserUnauthorizedException" or "missingRequiredPermissions" ? "insufficient_scope"
        : "upstream_error";
}
