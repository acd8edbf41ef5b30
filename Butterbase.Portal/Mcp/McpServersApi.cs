using Butterbase.Portal.Api;
using Butterbase.Portal.Outbound;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Butterbase.Portal.Mcp;

/// <summary>`/v1/{appId}/mcp-servers` (the app's API key): create, list, read, change and delete the app's MCP servers.</summary>
public static class McpServersApi
{
    public static RouteGroupBuilder MapMcpServersApi(this RouteGroupBuilder api)
    {
        var servers = api.MapGroup("/mcp-servers").WithTags("MCP servers").RequireAuthorization(ApiPolicies.AppAdmin);
        servers.MapPost("", Create);
        servers.MapGet("", List);
        servers.MapGet("/{server}", Get);
        servers.MapPatch("/{server}", Update);
        servers.MapDelete("/{server}", Delete);
        return api;
    }

    /// <param name="Tools">Omitted or empty: every tool of the toolkits.</param>
    public sealed record ServerRequest(string? Name, string? Mode, List<string>? Toolkits, List<string>? Tools, bool? ReadOnly);

    public sealed record ServerRow(string Id, string Name, string Mode, IReadOnlyList<string> Toolkits, IReadOnlyList<string>? Tools,
        bool ReadOnly, string Endpoint, DateTime CreatedAt, DateTime UpdatedAt)
    {
        public static ServerRow From(McpServerConfig s, string origin) => new(s.Id, s.Name, s.Mode, s.Toolkits, s.Tools, s.ReadOnly,
            McpEndpoint.Url(origin, s.AppId, s.Name), s.CreatedAt, s.UpdatedAt);
    }

    private static McpServers.Change ChangeOf(ServerRequest body) => new(body.Name, body.Mode, body.Toolkits, body.Tools, body.ReadOnly);

    public static async Task<Results<JsonHttpResult<ServerRow>, JsonHttpResult<ApiError>>> Create(
        string appId, ServerRequest body, McpServers servers, PublicOrigin origin, CancellationToken ct)
    {
        var (row, problems, conflict) = await servers.CreateAsync(appId, ChangeOf(body), ct);
        if (problems.Count > 0) return ApiErrors.Validation(problems);
        if (conflict is not null) return ApiErrors.Result(409, conflict.Error, conflict.Message);
        return TypedResults.Json(ServerRow.From(row!, origin.Value), ApiJson.Snake, statusCode: 201);
    }

    public static async Task<JsonHttpResult<Page<ServerRow>>> List(string appId, McpServers servers, PublicOrigin origin, CancellationToken ct)
    {
        var rows = (await servers.ListAsync(appId, ct)).Select(s => ServerRow.From(s, origin.Value)).ToList();
        return TypedResults.Json(new Page<ServerRow>(rows, rows.Count, rows.Count, 0), ApiJson.Snake);
    }

    public static async Task<Results<JsonHttpResult<ServerRow>, JsonHttpResult<ApiError>>> Get(
        string appId, string server, McpServers servers, PublicOrigin origin, CancellationToken ct) =>
        await servers.GetAsync(appId, server, ct) is { } row
            ? TypedResults.Json(ServerRow.From(row, origin.Value), ApiJson.Snake)
            : NotFound(server);

    public static async Task<Results<JsonHttpResult<ServerRow>, JsonHttpResult<ApiError>>> Update(
        string appId, string server, ServerRequest body, McpServers servers, PublicOrigin origin, CancellationToken ct)
    {
        var (row, problems, conflict) = await servers.UpdateAsync(appId, server, ChangeOf(body), ct);
        if (problems.Count > 0) return ApiErrors.Validation(problems);
        if (conflict is not null) return ApiErrors.Result(409, conflict.Error, conflict.Message);
        return row is null ? NotFound(server) : TypedResults.Json(ServerRow.From(row, origin.Value), ApiJson.Snake);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> Delete(string appId, string server, McpServers servers, CancellationToken ct) =>
        await servers.DeleteAsync(appId, server, ct) ? TypedResults.NoContent() : NotFound(server);

    private static JsonHttpResult<ApiError> NotFound(string server) =>
        ApiErrors.NotFound("mcp_server_not_found", $"This app has no MCP server '{(server.Length > 64 ? server[..64] : server)}'. GET /mcp-servers lists them.");
}
