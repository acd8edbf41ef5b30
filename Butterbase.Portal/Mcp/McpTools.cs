using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Toolkits;
using Microsoft.EntityFrameworkCore;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Butterbase.Portal.Mcp;

/// <summary>Who an MCP request acts as: one app, one end user (null: an API key that named none), through one server.</summary>
public sealed record McpCaller(string AppId, string? UserId, McpServerConfig Server);

/// <summary>
/// What an MCP server offers: in direct mode the allowed tools themselves, in router mode five meta tools over them.
/// Every tool call is an execute (<see cref="ToolRunner"/>, source `mcp`): same validation, connection choice, refresh,
/// errors and log as `POST /execute`. The allow-lists and the read-only flag are checked on every call, not only when
/// listing (docs/security.md [39]).
/// </summary>
public sealed class McpTools(ToolkitCatalog catalog, ToolkitConfigs configs, ToolRunner runner, ConnectLinks links,
    IDbContextFactory<PortalDb> dbFactory, Outbound.PublicOrigin origin)
{
    /// <summary>The MCP form of each catalog tool, made once (the catalog does not change while the host runs).</summary>
    private readonly ConcurrentDictionary<string, Tool> _direct = new(StringComparer.Ordinal);

    private static readonly JsonSerializerOptions Snake = ApiJson.Snake;

    public void Configure(McpServerOptions options, McpCaller caller)
    {
        options.ServerInfo = new Implementation { Name = "butterbase-" + caller.Server.Name, Version = "1.0" };
        options.Capabilities ??= new ServerCapabilities();
        options.Capabilities.Tools = new ToolsCapability();
        options.ServerInstructions = caller.Server.Mode == McpModes.Router
            ? "Tools of the user's connected accounts (email, chat, calendars, CRMs, code hosts…). Find a tool with search_tools, " +
              "read its parameters with get_tool_schema, run it with execute_tool. When a result says no_connection, give the user " +
              "its connect_url, then try again once they say they connected."
            : "Tools that act in the user's connected accounts. When a result says no_connection, give the user its connect_url, " +
              "then try again once they say they connected.";
        options.Handlers.ListToolsHandler = (request, ct) => ListAsync(caller, ct);
        options.Handlers.CallToolHandler = (request, ct) => CallAsync(caller, request, ct);
    }

    /// <summary>Whether <paramref name="tool"/> is offered by the server (enabled-for-the-app is the execute path's check).</summary>
    public static bool Allows(McpServerConfig server, Toolkit toolkit, ToolDefinition tool) =>
        server.Toolkits.Contains(toolkit.Slug) && (server.Tools is null || server.Tools.Contains(tool.Name)) && (!server.ReadOnly || tool.IsReadOnly);

    /// <summary>How many tools <paramref name="server"/> offers over its toolkits (only those in <paramref name="enabled"/>, when given).</summary>
    public static int CountAllowed(ToolkitCatalog catalog, McpServerConfig server, IReadOnlySet<string>? enabled = null) =>
        server.Toolkits.Where(slug => enabled is null || enabled.Contains(slug)).Select(catalog.Find).OfType<Toolkit>()
            .Sum(t => catalog.ToolsOf(t).Tools.Count(tool => Allows(server, t, tool)));

    /// <summary>The server's toolkits that are enabled for the app: only their tools are listed or searched.</summary>
    private async Task<List<Toolkit>> ToolkitsAsync(McpCaller caller, CancellationToken ct)
    {
        var enabled = await configs.EnabledSlugsAsync(caller.AppId, ct);
        return caller.Server.Toolkits.Where(enabled.Contains).Select(catalog.Find).OfType<Toolkit>().ToList();
    }

    private async ValueTask<ListToolsResult> ListAsync(McpCaller caller, CancellationToken ct)
    {
        if (caller.Server.Mode == McpModes.Router) return new ListToolsResult { Tools = RouterTools };
        var tools = new List<Tool>();
        foreach (var toolkit in await ToolkitsAsync(caller, ct))
            foreach (var tool in catalog.ToolsOf(toolkit).Tools)
                if (Allows(caller.Server, toolkit, tool)) tools.Add(_direct.GetOrAdd(tool.Name, _ => DirectTool(toolkit, tool)));
        return new ListToolsResult { Tools = tools };
    }

    /// <summary>
    /// A catalog tool as an MCP tool: its JSON Schema with the shared definitions inlined, plus an optional `connection_id`
    /// (which of the user's accounts to use when there are several), and hints that say whether it only reads.
    /// </summary>
    private Tool DirectTool(Toolkit toolkit, ToolDefinition tool)
    {
        var schema = ToolSchemas.WithDefs(tool, catalog.ToolsOf(toolkit).Defs);
        if (schema["properties"] is JsonObject properties && !properties.ContainsKey(ConnectionIdArgument))
            properties[ConnectionIdArgument] = new JsonObject
            {
                ["type"] = "string",
                ["description"] = $"Which of the user's {toolkit.Name} accounts to use, when there are several (an id from the error that lists them).",
            };
        return new Tool
        {
            Name = tool.Name,
            Title = tool.DisplayName.Length > 0 ? tool.DisplayName : null,
            Description = tool.Description.Length > 0 ? $"{toolkit.Name}: {tool.Description}" : toolkit.Name,
            InputSchema = JsonSerializer.SerializeToElement(schema),
            Annotations = new ToolAnnotations
            {
                ReadOnlyHint = tool.IsReadOnly,
                DestructiveHint = !tool.IsReadOnly && tool.Method == "DELETE",
                OpenWorldHint = true,
            },
        };
    }

    private const string ConnectionIdArgument = "connection_id";

    private async ValueTask<CallToolResult> CallAsync(McpCaller caller, RequestContext<CallToolRequestParams> request, CancellationToken ct)
    {
        var name = request.Params?.Name ?? "";
        var arguments = request.Params?.Arguments;
        if (caller.Server.Mode == McpModes.Direct)
        {
            if (catalog.FindTool(name) is not { } found || !Allows(caller.Server, found.Toolkit, found.Tool)) throw UnknownTool(request);
            // `connection_id` is ours (added to the schema), unless the tool has a parameter of that name.
            var given = arguments ?? new Dictionary<string, JsonElement>();
            string? connectionId = null;
            var ownParameter = found.Tool.Parameters["properties"] is JsonObject own && own.ContainsKey(ConnectionIdArgument);
            if (!ownParameter && given.TryGetValue(ConnectionIdArgument, out var chosen))
            {
                connectionId = chosen.ValueKind == JsonValueKind.String ? chosen.GetString() : null;
                given = given.Where(a => a.Key != ConnectionIdArgument).ToDictionary();
            }
            return await ExecuteAsync(caller, request, found.Toolkit, name, JsonSerializer.SerializeToElement(given), connectionId, ct);
        }
        return name switch
        {
            "search_tools" => await SearchAsync(caller, arguments, ct),
            "get_tool_schema" => Schema(caller, arguments),
            "execute_tool" => await RouterExecuteAsync(caller, request, arguments, ct),
            "list_connections" => await ConnectionsAsync(caller, String(arguments, "toolkit"), ct),
            "connect" => Connect(caller, String(arguments, "toolkit")),
            _ => throw UnknownTool(request),
        };
    }

    // The protocol's answer for a tool the server does not have: a JSON-RPC error, as for a name never listed. The SDK logs
    // the requested name when a handler throws: it is cut and stripped of control characters first, so a caller cannot
    // write megabytes or forged lines into the host's log.
    private static McpProtocolException UnknownTool(RequestContext<CallToolRequestParams> request)
    {
        var name = new string((request.Params?.Name ?? "").Take(128).Where(c => !char.IsControl(c)).ToArray());
        if (request.Params is not null) request.Params.Name = name;
        return new($"Unknown tool: '{name}'", McpErrorCode.InvalidParams);
    }

    private async Task<CallToolResult> ExecuteAsync(McpCaller caller, RequestContext<CallToolRequestParams> request, Toolkit toolkit,
        string toolName, JsonElement parameters, string? connectionId, CancellationToken ct)
    {
        if (caller.UserId is null)
            return Error(ErrorCodes.NoUser, $"Say which end user this agent acts for: send the {McpEndpoint.UserHeader} header with the API key.");
        var (result, error, _) = await runner.ExecuteAsync(
            new ToolRunner.Call(caller.AppId, caller.UserId, toolName, parameters, connectionId, origin.Value, ExecutionSources.Mcp), ct);
        if (result is not null)
        {
            // Serialized once: the structured content, and the same bytes as the text.
            var envelope = JsonSerializer.SerializeToElement(result, JsonSerializerOptions.Web);
            return new CallToolResult
            {
                StructuredContent = envelope,
                Content = [new TextContentBlock { Text = envelope.GetRawText() }],
                IsError = !result.Successful,
            };
        }
        switch (error!.Error)
        {
            case ErrorCodes.NoConnection or ErrorCodes.ConnectionExpired:
                var url = links.Create(caller.AppId, caller.UserId, toolkit.Slug);
                AskToConnect(request, toolkit, url);
                return Result(new JsonObject
                {
                    ["error"] = error.Error,
                    ["message"] = $"The user has not connected {toolkit.Name}{(error.Error == ErrorCodes.ConnectionExpired ? " (the connection expired)" : "")}. " +
                        "Ask them to open connect_url in a browser, then call the tool again.",
                    ["retryable"] = true,
                    ["toolkit"] = toolkit.Slug,
                    ["connect_url"] = url,
                }, isError: true);
            case ErrorCodes.ConnectionAmbiguous:
                var accounts = await ConnectionRowsAsync(caller, toolkit.Slug, ct);
                return Result(new JsonObject
                {
                    ["error"] = error.Error,
                    ["message"] = $"The user has several {toolkit.Name} accounts: call again with connection_id set to one of connections[].id.",
                    ["retryable"] = true,
                    ["connections"] = accounts,
                }, isError: true);
            default:
                var body = new JsonObject { ["error"] = error.Error, ["message"] = error.Message, ["retryable"] = false };
                if (error.Details is { Count: > 0 } details) body["details"] = JsonSerializer.SerializeToNode(details, JsonSerializerOptions.Web);
                if (error.ReconnectUrl is { } reconnect) body["reconnect_url"] = reconnect; // insufficient_scope: the consent that grants it
                return Result(body, isError: true);
        }
    }

    /// <summary>
    /// Where the client can open a URL for its user mid-call (protocol 2026-07-28's multi round-trip requests, URL mode
    /// elicitation), the call pauses with the connect link; the client retries it once the user is back, and the retry
    /// runs the tool. Other clients get the link in the result. A retry that still finds no connection answers the result.
    /// </summary>
    private static void AskToConnect(RequestContext<CallToolRequestParams> request, Toolkit toolkit, string url)
    {
        if (request.Params?.InputResponses is { Count: > 0 }) return; // the retry after the user was asked: answer, do not ask again
        if (!request.Server.IsMrtrSupported || request.Server.ClientCapabilities?.Elicitation?.Url is null) return;
        throw new InputRequiredException(new Dictionary<string, InputRequest>
        {
            ["connect"] = InputRequest.ForElicitation(new ElicitRequestParams
            {
                Mode = "url",
                Url = url,
                ElicitationId = Ids.New("el_", 20),
                Message = $"Connect your {toolkit.Name} account so the agent can act for you.",
            }),
        }, requestState: "connect:" + toolkit.Slug);
    }

    private async Task<CallToolResult> RouterExecuteAsync(McpCaller caller, RequestContext<CallToolRequestParams> request,
        IDictionary<string, JsonElement>? arguments, CancellationToken ct)
    {
        var name = String(arguments, "tool_name") ?? "";
        if (catalog.FindTool(name) is not { } found || !Allows(caller.Server, found.Toolkit, found.Tool))
            return Error(ErrorCodes.UnknownTool, $"This server has no tool '{Clip(name)}': find one with search_tools.");
        var parameters = arguments?.TryGetValue("params", out var p) == true && p.ValueKind != JsonValueKind.Null ? p : JsonSerializer.SerializeToElement(new JsonObject());
        return await ExecuteAsync(caller, request, found.Toolkit, name, parameters, String(arguments, "connection_id"), ct);
    }

    private async Task<CallToolResult> SearchAsync(McpCaller caller, IDictionary<string, JsonElement>? arguments, CancellationToken ct)
    {
        var query = String(arguments, "query") ?? "";
        if (query.Length > 200) return Error(ErrorCodes.InvalidParams, "query is at most 200 characters.");
        var limit = arguments?.TryGetValue("limit", out var l) == true && l.TryGetInt32(out var n) ? Math.Clamp(n, 1, 50) : 10;
        var toolkits = await ToolkitsAsync(caller, ct);
        if (String(arguments, "toolkit") is { } only) toolkits = toolkits.Where(t => t.Slug == only).ToList();
        var hits = ToolSearch.Rank(catalog, toolkits, query, limit, (toolkit, tool) => Allows(caller.Server, toolkit, tool));
        var items = new JsonArray(hits.Select(h => (JsonNode)new JsonObject
        {
            ["name"] = h.Tool.Name,
            ["toolkit"] = h.Toolkit.Slug,
            ["title"] = h.Tool.DisplayName,
            ["description"] = h.Tool.Description.Length > 300 ? h.Tool.Description[..300] + "…" : h.Tool.Description,
            ["read_only"] = h.Tool.IsReadOnly,
        }).ToArray());
        return Result(new JsonObject { ["tools"] = items, ["hint"] = "get_tool_schema gives a tool's parameters; execute_tool runs it." }, isError: false);
    }

    private CallToolResult Schema(McpCaller caller, IDictionary<string, JsonElement>? arguments)
    {
        var name = String(arguments, "tool_name") ?? "";
        if (catalog.FindTool(name) is not { } found || !Allows(caller.Server, found.Toolkit, found.Tool))
            return Error(ErrorCodes.UnknownTool, $"This server has no tool '{Clip(name)}': find one with search_tools.");
        return Result(new JsonObject
        {
            ["name"] = found.Tool.Name,
            ["toolkit"] = found.Toolkit.Slug,
            ["description"] = found.Tool.Description,
            ["read_only"] = found.Tool.IsReadOnly,
            ["input_schema"] = ToolSchemas.WithDefs(found.Tool, catalog.ToolsOf(found.Toolkit).Defs),
        }, isError: false);
    }

    private async Task<CallToolResult> ConnectionsAsync(McpCaller caller, string? toolkit, CancellationToken ct)
    {
        if (caller.UserId is null) return Error(ErrorCodes.NoUser, $"Say which end user this agent acts for: send the {McpEndpoint.UserHeader} header with the API key.");
        if (toolkit is not null && !caller.Server.Toolkits.Contains(toolkit)) return Error(ErrorCodes.UnknownToolkit, $"This server offers no toolkit '{Clip(toolkit)}'.");
        return Result(new JsonObject { ["connections"] = await ConnectionRowsAsync(caller, toolkit, ct) }, isError: false);
    }

    /// <summary>The caller's own connections (never another user's), of the server's toolkits only.</summary>
    private async Task<JsonArray> ConnectionRowsAsync(McpCaller caller, string? toolkit, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var slugs = caller.Server.Toolkits;
        var rows = await db.Connections.AsNoTracking()
            .Where(c => c.AppId == caller.AppId && c.UserId == caller.UserId && (toolkit == null ? slugs.Contains(c.ToolkitSlug) : c.ToolkitSlug == toolkit))
            .OrderBy(c => c.CreatedAt).Take(100)
            .Select(c => new { c.Id, c.ToolkitSlug, c.Status, c.AccountLabel, c.CreatedAt }).ToListAsync(ct);
        return new JsonArray(rows.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c.Id, ["toolkit"] = c.ToolkitSlug, ["status"] = c.Status, ["account"] = c.AccountLabel,
            ["created_at"] = c.CreatedAt.ToString("O"),
        }).ToArray());
    }

    private CallToolResult Connect(McpCaller caller, string? toolkit)
    {
        if (caller.UserId is null) return Error(ErrorCodes.NoUser, $"Say which end user this agent acts for: send the {McpEndpoint.UserHeader} header with the API key.");
        if (toolkit is null || !caller.Server.Toolkits.Contains(toolkit) || catalog.Find(toolkit) is not { } t)
            return Error(ErrorCodes.UnknownToolkit, $"This server offers no toolkit '{Clip(toolkit ?? "")}'. It offers: {string.Join(", ", caller.Server.Toolkits)}.");
        return Result(new JsonObject
        {
            ["toolkit"] = t.Slug,
            ["connect_url"] = links.Create(caller.AppId, caller.UserId, t.Slug),
            ["message"] = $"Ask the user to open connect_url in a browser to connect {t.Name}; the link works for 10 minutes.",
        }, isError: false);
    }

    private static string? String(IDictionary<string, JsonElement>? arguments, string name) =>
        arguments?.TryGetValue(name, out var v) == true && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    private static string Clip(string s) => s.Length > 128 ? s[..128] + "…" : s;

    private static CallToolResult Error(string code, string message) =>
        Result(new JsonObject { ["error"] = code, ["message"] = message, ["retryable"] = false }, isError: true);

    /// <summary>The same JSON as structured content (for clients that read it) and as text (for the model).</summary>
    private static CallToolResult Result(JsonObject body, bool isError) => new()
    {
        StructuredContent = JsonSerializer.SerializeToElement(body),
        Content = [new TextContentBlock { Text = body.ToJsonString(JsonSerializerOptions.Web) }],
        IsError = isError,
    };

    private static readonly List<Tool> RouterTools =
    [
        Meta("search_tools", "Search the tools available to this agent by what they do (e.g. \"send email\", \"create issue\").", true, """
            {"type":"object","properties":{"query":{"type":"string","description":"What the tool should do."},"toolkit":{"type":"string","description":"Only this toolkit, e.g. gmail."},"limit":{"type":"integer","minimum":1,"maximum":50,"description":"At most this many results (10 by default)."}},"required":["query"]}
            """),
        Meta("get_tool_schema", "The parameters (JSON Schema) of one tool found with search_tools.", true, """
            {"type":"object","properties":{"tool_name":{"type":"string"}},"required":["tool_name"]}
            """),
        Meta("execute_tool", "Run a tool for the user with parameters that match its schema.", false, """
            {"type":"object","properties":{"tool_name":{"type":"string"},"params":{"type":"object","description":"The tool's parameters."},"connection_id":{"type":"string","description":"Which of the user's accounts to use, when there are several (see list_connections)."}},"required":["tool_name","params"]}
            """),
        Meta("list_connections", "The user's connected accounts (id, toolkit, status).", true, """
            {"type":"object","properties":{"toolkit":{"type":"string","description":"Only this toolkit."}}}
            """),
        Meta("connect", "A link the user opens in a browser to connect an account of a toolkit.", false, """
            {"type":"object","properties":{"toolkit":{"type":"string","description":"e.g. gmail"}},"required":["toolkit"]}
            """),
    ];

    private static Tool Meta(string name, string description, bool readOnly, string schema) => new()
    {
        Name = name,
        Description = description,
        InputSchema = JsonDocument.Parse(schema).RootElement.Clone(),
        Annotations = new ToolAnnotations { ReadOnlyHint = readOnly, OpenWorldHint = !readOnly },
    };
}
