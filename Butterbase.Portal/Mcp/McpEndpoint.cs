using Butterbase.Portal.Api;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using ModelContextProtocol.AspNetCore;

namespace Butterbase.Portal.Mcp;

/// <summary>
/// `/mcp/{appId}/{server}`: a Streamable HTTP MCP endpoint per app and named server, stateless (any instance answers any
/// request; no session, no SSE stream), on the official SDK. The caller is authenticated like the REST API (API key +
/// <see cref="UserHeader"/>, or an end-user JWT of the app); the server's configuration and the end user are fixed per
/// request before the SDK sees it (docs/architecture.md "MCP").
/// </summary>
public static class McpEndpoint
{
    /// <summary>The end user an API-key caller acts for (a JWT caller is its token's subject).</summary>
    public const string UserHeader = "Butterbase-User-Id";
    public const string ResourceMetadataPrefix = "/.well-known/oauth-protected-resource";

    public static string Url(string origin, string appId, string server) => $"{origin}/mcp/{appId}/{server}";

    public static IServiceCollection AddMcpEndpoint(this IServiceCollection services)
    {
        services.AddSingleton<McpServers>();
        services.AddSingleton<McpTools>();
        services.AddSingleton<ConnectLinks>();
        services.AddMcpServer()
            .WithHttpTransport(o =>
            {
                o.SessionMode = HttpServerSessionMode.Stateless;
                // Per request: the caller and server were resolved (and refused when wrong) by UseMcpCallers.
                o.ConfigureSessionOptions = (http, options, _) =>
                {
                    http.RequestServices.GetRequiredService<McpTools>().Configure(options, (McpCaller)http.Items[typeof(McpCaller)]!);
                    return Task.CompletedTask;
                };
            });
        return services;
    }

    public static void MapMcpEndpoint(this WebApplication app)
    {
        app.MapMcp("/mcp/{appId}/{server}")
            .RequireAuthorization(ApiPolicies.App)
            .RequireRateLimiting(ApiSetup.PerAppRateLimit)
            .WithMetadata(new McpEndpointMarker())
            .WithMetadata(new BearerResourceMetadata(http => MetadataUrl(http)))
            .WithTags("MCP");
        app.MapGet(ResourceMetadataPrefix + "/mcp/{appId}/{server}", ResourceMetadataAsync).AllowAnonymous()
            .RequireRateLimiting(ApiSetup.PerAddressRateLimit).WithTags("MCP");
        ConnectLinks.MapConnectLinks(app);
    }

    private static string MetadataUrl(HttpContext http) =>
        $"{http.RequestServices.GetRequiredService<Outbound.PublicOrigin>().Value}{ResourceMetadataPrefix}/mcp/{Uri.EscapeDataString(http.GetRouteValue("appId") as string ?? "")}/{Uri.EscapeDataString(http.GetRouteValue("server") as string ?? "")}";

    private sealed record McpEndpointMarker;

    /// <summary>
    /// After authorization, for MCP requests: the named server must exist (404), and the end user is the JWT's subject, or
    /// the <see cref="UserHeader"/> an API key names; a JWT beside a header naming someone else is refused (403): an agent
    /// of user A never acts as user B.
    /// </summary>
    public static IApplicationBuilder UseMcpCallers(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<McpEndpointMarker>() is null) { await next(); return; }
        var appId = (string)http.GetRouteValue("appId")!;
        var name = (string)http.GetRouteValue("server")!;
        var server = name.Length <= McpServers.MaxNameLength
            ? await http.RequestServices.GetRequiredService<McpServers>().FindAsync(appId, name, http.RequestAborted)
            : null;
        if (server is null)
        {
            await ApiErrors.WriteAsync(http, 404, "mcp_server_not_found", $"This app has no MCP server with that name. GET /v1/{appId}/mcp-servers lists them.");
            return;
        }
        var caller = http.User.Caller();
        var named = http.Request.Headers[UserHeader];
        string? userId;
        if (named.Count > 1 || named.ToString() is { Length: > 256 } || named.ToString().Any(char.IsControl))
        {
            await ApiErrors.WriteAsync(http, 400, ErrorCodes.InvalidRequest, $"{UserHeader} is one end user id of at most 256 characters.");
            return;
        }
        var requested = named.Count == 1 && named.ToString().Length > 0 ? named.ToString() : null;
        if (caller.IsApiKey) userId = requested;
        else if (requested is not null && requested != caller.UserId)
        {
            await ApiErrors.WriteAsync(http, 403, ErrorCodes.Forbidden, $"A user token acts for its own user only: drop {UserHeader} or name the token's user.");
            return;
        }
        else userId = caller.UserId;
        http.Items[typeof(McpCaller)] = new McpCaller(appId, userId, server);
        await next();
    });

    /// <summary>
    /// OAuth Protected Resource Metadata (RFC 9728) for one MCP server: the resource, and the authorization server whose
    /// tokens it takes — the app's own identity provider when it configured one. The JWTs this host mints for the app
    /// (`POST /auth/user-token`) come from no OAuth authorization server a client could discover (their issuer is not a
    /// URL), so without an external issuer the document names none and a client must be given a token.
    /// </summary>
    private static async Task<IResult> ResourceMetadataAsync(string appId, string server, IDbContextFactory<PortalDb> dbFactory,
        McpServers servers, Outbound.PublicOrigin origin, CancellationToken ct)
    {
        App? app;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            app = await db.Apps.AsNoTracking().FirstOrDefaultAsync(a => a.Id == appId, ct);
        if (app is null || server.Length > McpServers.MaxNameLength || await servers.FindAsync(appId, server, ct) is null) return ApiErrors.NotFound("mcp_server_not_found", "No such MCP server.");
        var document = new Dictionary<string, object>
        {
            ["resource"] = Url(origin.Value, appId, server),
            ["bearer_methods_supported"] = new[] { "header" },
        };
        if (app.JwtIssuer is { Length: > 0 } issuer) document["authorization_servers"] = new[] { issuer };
        return Results.Json(document);
    }
}
