using System.Net;
using System.Text.Json;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Sandbox;
using Butterbase.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Butterbase.Portal.Tests.Mcp;

/// <summary>
/// `/mcp/{appId}/{server}` driven by the official C# MCP client over real HTTP, against the Sandbox (a real OAuth server
/// and API inside the portal): every call is an execute, allow-lists and read-only hold on call, callers are one app and
/// one end user.
/// </summary>
public sealed class McpTests : IAsyncLifetime
{
    private PortalApplication _portal = default!;
    private TestApp _app = default!;
    private readonly CapturingLoggerProvider _logs = new();
    private string Origin => _portal.Address.GetLeftPart(UriPartial.Authority);

    public async Task InitializeAsync()
    {
        _portal = new PortalApplication().With("Butterbase:Sandbox:Enabled", "true")
            .WithServices(s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_logs));
        _app = await _portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "sandbox" })));
        await CreateServerAsync(new { name = "assistant", mode = "direct", toolkits = new[] { "sandbox" } });
        await CreateServerAsync(new { name = "router", mode = "router", toolkits = new[] { "sandbox" } });
        await CreateServerAsync(new { name = "lister", mode = "direct", toolkits = new[] { "sandbox" }, tools = new[] { "SANDBOX_LIST_MESSAGES" } });
        await CreateServerAsync(new { name = "reader", mode = "direct", toolkits = new[] { "sandbox" }, readOnly = true });
        await CreateServerAsync(new { name = "reader-router", mode = "router", toolkits = new[] { "sandbox" }, readOnly = true });
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private async Task<JsonElement> CreateServerAsync(object body)
    {
        using var admin = _portal.Http(_app.ApiKey);
        var response = await admin.PostAsync($"v1/{_app.Id}/mcp-servers", JsonAssert.Body(body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private Task<McpClient> ClientAsync(string server, string bearer, string? user = null, McpClientOptions? options = null, string? appId = null)
    {
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + bearer };
        if (user is not null) headers["Butterbase-User-Id"] = user;
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(_portal.Address, $"mcp/{appId ?? _app.Id}/{server}"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        });
        return McpClient.CreateAsync(transport, options);
    }

    /// <summary>Opens an agent's connect link as the user's browser would and allows the Sandbox consent as <paramref name="email"/>.</summary>
    private async Task FollowConnectLinkAsync(string connectUrl, string email)
    {
        Assert.StartsWith(Origin + "/connect/start?t=", connectUrl);
        using var driver = new SandboxDriver(_portal);
        var toProvider = await driver.GetAsync(connectUrl);
        Assert.Equal(HttpStatusCode.Redirect, toProvider.StatusCode);
        var form = await driver.ConsentPageAsync(toProvider.Headers.Location!.ToString());
        var toCallback = await driver.SubmitAsync(form, "allow", email);
        var done = await driver.GetAsync(toCallback.Headers.Location!.ToString());
        var donePage = done.Headers.Location!.ToString();
        Assert.StartsWith(Origin + "/connect/done?status=connected", donePage);
        var html = await (await driver.GetAsync(donePage)).Content.ReadAsStringAsync();
        Assert.Contains("return to your agent", html);
    }

    private async Task ConnectAsync(string user, string email)
    {
        await using var agent = await ClientAsync("router", _app.ApiKey, user);
        var link = await agent.CallToolAsync("connect", new Dictionary<string, object?> { ["toolkit"] = "sandbox" });
        Assert.NotEqual(true, link.IsError);
        await FollowConnectLinkAsync(link.StructuredContent!.Value.GetProperty("connect_url").GetString()!, email);
    }

    private static JsonElement Structured(CallToolResult result) => result.StructuredContent!.Value;

    [Fact]
    public async Task An_agent_lists_the_sandbox_tools_and_sends_a_message_as_its_connected_user()
    {
        await ConnectAsync("u_alice", "alice@sandbox.test");
        await using var agent = await ClientAsync("assistant", _app.ApiKey, "u_alice");

        var tools = await agent.ListToolsAsync();
        Assert.Equal(["SANDBOX_GET_PROFILE", "SANDBOX_LIST_MESSAGES", "SANDBOX_SEND_MESSAGE"], tools.Select(t => t.Name).Order());
        var send = tools.Single(t => t.Name == "SANDBOX_SEND_MESSAGE").ProtocolTool;
        Assert.False(send.Annotations!.ReadOnlyHint);
        Assert.True(tools.Single(t => t.Name == "SANDBOX_LIST_MESSAGES").ProtocolTool.Annotations!.ReadOnlyHint);
        Assert.Contains("\"to\"", send.InputSchema.GetRawText());

        var sent = await agent.CallToolAsync("SANDBOX_SEND_MESSAGE", new Dictionary<string, object?> { ["to"] = "bob", ["text"] = "hello from an agent" });
        Assert.NotEqual(true, sent.IsError);
        Assert.True(Structured(sent).GetProperty("successful").GetBoolean());
        var text = Assert.IsType<TextContentBlock>(Assert.Single(sent.Content));
        Assert.Contains("hello from an agent", text.Text);

        var listed = await agent.CallToolAsync("SANDBOX_LIST_MESSAGES", new Dictionary<string, object?> { ["limit"] = 10 });
        Assert.Contains("hello from an agent", Structured(listed).GetProperty("data").GetRawText());

        // In the executions log as MCP calls of that user, page by page.
        await _portal.Services.GetRequiredService<ExecutionLog>().FlushAsync();
        using var admin = _portal.Http(_app.ApiKey);
        var first = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions?source=mcp&limit=1"));
        var newest = Assert.Single(first.GetProperty("items").EnumerateArray().ToList());
        Assert.Equal(("SANDBOX_LIST_MESSAGES", "mcp", "u_alice", "successful"), (newest.GetProperty("tool").GetString(), newest.GetProperty("source").GetString(),
            newest.GetProperty("user_id").GetString(), newest.GetProperty("status").GetString()));
        var second = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions?source=mcp&limit=1&cursor={first.GetProperty("next_cursor").GetString()}"));
        Assert.Equal("SANDBOX_SEND_MESSAGE", Assert.Single(second.GetProperty("items").EnumerateArray().ToList()).GetProperty("tool").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
        var none = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions?source=api"));
        Assert.Empty(none.GetProperty("items").EnumerateArray());
        var detail = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions/{newest.GetProperty("id").GetString()}"));
        Assert.StartsWith("GET ", detail.GetProperty("request").GetString());
        await JsonAssert.ErrorAsync(await admin.GetAsync($"v1/{_app.Id}/integrations/executions?source=email&cursor=nope"), HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    [Fact]
    public async Task An_unconnected_user_gets_a_connect_link_that_works_through_the_sandbox_consent_and_the_next_call_succeeds()
    {
        // A client on the older initialize handshake (2025-06-18) that cannot open URLs itself: the link is in the result.
        await using var agent = await ClientAsync("assistant", _app.ApiKey, "u_new", new McpClientOptions { ProtocolVersion = "2025-06-18" });
        var first = await agent.CallToolAsync("SANDBOX_GET_PROFILE", new Dictionary<string, object?>());
        Assert.True(first.IsError);
        Assert.Equal("no_connection", Structured(first).GetProperty("error").GetString());
        var link = Structured(first).GetProperty("connect_url").GetString()!;

        await FollowConnectLinkAsync(link, "newcomer@sandbox.test");

        var again = await agent.CallToolAsync("SANDBOX_GET_PROFILE", new Dictionary<string, object?>());
        Assert.NotEqual(true, again.IsError);
        Assert.Contains("newcomer@sandbox.test", Structured(again).GetProperty("data").GetRawText());
    }

    [Fact]
    public async Task A_client_that_opens_urls_is_asked_to_connect_mid_call_and_its_retry_runs_the_tool()
    {
        var asked = new List<ElicitRequestParams>();
        var options = new McpClientOptions
        {
            Capabilities = new ClientCapabilities { Elicitation = new ElicitationCapability { Url = new UrlElicitationCapability() } },
            Handlers = new McpClientHandlers
            {
                // The user opens the URL the client shows and allows the consent; then the client retries the call.
                ElicitationHandler = async (request, ct) =>
                {
                    asked.Add(request!);
                    await FollowConnectLinkAsync(request!.Url!, "mid-call@sandbox.test");
                    return new ElicitResult { Action = "accept" };
                },
            },
        };
        await using var agent = await ClientAsync("assistant", _app.ApiKey, "u_midcall", options);
        var result = await agent.CallToolAsync("SANDBOX_GET_PROFILE", new Dictionary<string, object?>());

        var elicitation = Assert.Single(asked);
        Assert.Equal("url", elicitation.Mode);
        Assert.NotEqual(true, result.IsError);
        Assert.Contains("mid-call@sandbox.test", Structured(result).GetProperty("data").GetRawText());
    }

    [Fact]
    public async Task With_several_accounts_the_agent_is_shown_them_and_picks_one_by_connection_id()
    {
        await ConnectAsync("u_two", "work@sandbox.test");
        await ConnectAsync("u_two", "home@sandbox.test");
        await using var agent = await ClientAsync("assistant", _app.ApiKey, "u_two");
        var ambiguous = await agent.CallToolAsync("SANDBOX_GET_PROFILE", new Dictionary<string, object?>());
        Assert.True(ambiguous.IsError);
        Assert.Equal("connection_ambiguous", Structured(ambiguous).GetProperty("error").GetString());
        var accounts = Structured(ambiguous).GetProperty("connections").EnumerateArray().ToList();
        Assert.Equal(2, accounts.Count);
        var home = accounts.Single(a => a.GetProperty("account").GetString() == "home@sandbox.test").GetProperty("id").GetString();

        var chosen = await agent.CallToolAsync("SANDBOX_GET_PROFILE", new Dictionary<string, object?> { ["connection_id"] = home });
        Assert.NotEqual(true, chosen.IsError);
        Assert.Contains("home@sandbox.test", Structured(chosen).GetProperty("data").GetRawText());
    }

    [Fact]
    public async Task A_router_server_searches_reads_a_schema_lists_connections_and_executes()
    {
        await ConnectAsync("u_router", "router@sandbox.test");
        await using var agent = await ClientAsync("router", _app.ApiKey, "u_router");
        var tools = await agent.ListToolsAsync();
        Assert.Equal(["connect", "execute_tool", "get_tool_schema", "list_connections", "search_tools"], tools.Select(t => t.Name).Order());

        var found = await agent.CallToolAsync("search_tools", new Dictionary<string, object?> { ["query"] = "send a message" });
        Assert.Equal("SANDBOX_SEND_MESSAGE", Structured(found).GetProperty("tools")[0].GetProperty("name").GetString());

        var schema = await agent.CallToolAsync("get_tool_schema", new Dictionary<string, object?> { ["tool_name"] = "SANDBOX_SEND_MESSAGE" });
        Assert.Equal(["text", "to"], Structured(schema).GetProperty("input_schema").GetProperty("required").EnumerateArray().Select(e => e.GetString()!).Order());

        var connections = await agent.CallToolAsync("list_connections", new Dictionary<string, object?>());
        var connection = Assert.Single(Structured(connections).GetProperty("connections").EnumerateArray().ToList());
        Assert.Equal("sandbox", connection.GetProperty("toolkit").GetString());

        var run = await agent.CallToolAsync("execute_tool", new Dictionary<string, object?>
        {
            ["tool_name"] = "SANDBOX_SEND_MESSAGE",
            ["params"] = new Dictionary<string, object?> { ["to"] = "carol", ["text"] = "routed" },
            ["connection_id"] = connection.GetProperty("id").GetString(),
        });
        Assert.NotEqual(true, run.IsError);
        Assert.True(Structured(run).GetProperty("successful").GetBoolean());

        var bad = await agent.CallToolAsync("execute_tool", new Dictionary<string, object?>
        { ["tool_name"] = "SANDBOX_SEND_MESSAGE", ["params"] = new Dictionary<string, object?> { ["to"] = "carol" } });
        Assert.True(bad.IsError);
        Assert.Equal("invalid_params", Structured(bad).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_tool_allow_listed_out_is_neither_listed_nor_callable()
    {
        await ConnectAsync("u_allow", "allow@sandbox.test");
        await using var agent = await ClientAsync("lister", _app.ApiKey, "u_allow");
        Assert.Equal(["SANDBOX_LIST_MESSAGES"], (await agent.ListToolsAsync()).Select(t => t.Name));
        var refused = await Assert.ThrowsAsync<McpProtocolException>(() =>
            agent.CallToolAsync("SANDBOX_SEND_MESSAGE", new Dictionary<string, object?> { ["to"] = "x", ["text"] = "not allowed" }).AsTask());
        Assert.Equal(McpErrorCode.InvalidParams, refused.ErrorCode);

        // A name of 100,000 characters with line breaks (sent raw: the official client refuses to send it) is answered
        // with the protocol's error, and neither echoed nor logged whole.
        using var http = new HttpClient { BaseAddress = _portal.Address };
        using var raw = new HttpRequestMessage(HttpMethod.Post, $"mcp/{_app.Id}/lister")
        {
            Content = JsonAssert.Body(new
            {
                jsonrpc = "2.0", id = 7, method = "tools/call",
                @params = new { name = new string('A', 50_000) + "\nERROR forged line\n" + new string('B', 50_000), arguments = new { } }
            }),
        };
        raw.Headers.Authorization = new("Bearer", _app.ApiKey);
        raw.Headers.Add("Butterbase-User-Id", "u_allow");
        raw.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        raw.Headers.Accept.ParseAdd("application/json");
        raw.Headers.Accept.ParseAdd("text/event-stream");
        var answer = await (await http.SendAsync(raw)).Content.ReadAsStringAsync();
        Assert.Contains("-32602", answer);
        Assert.True(answer.Length < 1_000, $"{answer.Length} characters");
        Assert.DoesNotContain("forged line", answer);
        Assert.DoesNotContain("forged line", _logs.All);
        Assert.DoesNotContain(new string('A', 200), _logs.All);

        // Nothing was sent: the user's mailbox is empty.
        var listed = await agent.CallToolAsync("SANDBOX_LIST_MESSAGES", new Dictionary<string, object?> { ["limit"] = 10 });
        Assert.DoesNotContain("not allowed", Structured(listed).GetRawText());
    }

    [Fact]
    public async Task A_read_only_server_lists_and_runs_only_tools_that_read()
    {
        await ConnectAsync("u_reader", "reader@sandbox.test");
        await using (var agent = await ClientAsync("reader", _app.ApiKey, "u_reader"))
        {
            Assert.Equal(["SANDBOX_GET_PROFILE", "SANDBOX_LIST_MESSAGES"], (await agent.ListToolsAsync()).Select(t => t.Name).Order());
            await Assert.ThrowsAsync<McpProtocolException>(() =>
                agent.CallToolAsync("SANDBOX_SEND_MESSAGE", new Dictionary<string, object?> { ["to"] = "x", ["text"] = "write" }).AsTask());
        }
        await using (var router = await ClientAsync("reader-router", _app.ApiKey, "u_reader"))
        {
            var found = await router.CallToolAsync("search_tools", new Dictionary<string, object?> { ["query"] = "message" });
            Assert.DoesNotContain("SANDBOX_SEND_MESSAGE", Structured(found).GetRawText());
            var run = await router.CallToolAsync("execute_tool", new Dictionary<string, object?>
            { ["tool_name"] = "SANDBOX_SEND_MESSAGE", ["params"] = new Dictionary<string, object?> { ["to"] = "x", ["text"] = "write" } });
            Assert.True(run.IsError);
            Assert.Equal("unknown_tool", Structured(run).GetProperty("error").GetString());
        }
        await _portal.Services.GetRequiredService<ExecutionLog>().FlushAsync();
        await using var db = await _portal.Services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        Assert.False(await db.Executions.AnyAsync(e => e.ToolName == "SANDBOX_SEND_MESSAGE"));
    }

    [Fact]
    public async Task Without_a_credential_of_the_app_the_endpoint_answers_401_with_its_resource_metadata_or_403()
    {
        var other = await _portal.CreateAppAsync("Other");
        using var http = new HttpClient { BaseAddress = _portal.Address };
        async Task<HttpResponseMessage> PostAsync(string? bearer)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"mcp/{_app.Id}/assistant")
            {
                Content = JsonAssert.Raw("""{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"""),
            };
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
            return await http.SendAsync(request);
        }

        var metadataUrl = $"{Origin}/.well-known/oauth-protected-resource/mcp/{_app.Id}/assistant";
        foreach (var bearer in new[] { null, "bb_sk_not_a_key", "not.a.jwt" })
        {
            var response = await PostAsync(bearer);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal($"Bearer resource_metadata=\"{metadataUrl}\"", response.Headers.WwwAuthenticate.ToString());
        }
        // Valid credentials of another app: its key, a token it minted for one of its users.
        await JsonAssert.ErrorAsync(await PostAsync(other.ApiKey), HttpStatusCode.Forbidden, "forbidden");
        await JsonAssert.ErrorAsync(await PostAsync(await _portal.UserTokenAsync(other, "u_alice")), HttpStatusCode.Forbidden, "forbidden");
        await Assert.ThrowsAnyAsync<Exception>(() => ClientAsync("assistant", other.ApiKey, "u_alice"));

        var metadata = await JsonAssert.OkAsync(await http.GetAsync(metadataUrl));
        Assert.Equal($"{Origin}/mcp/{_app.Id}/assistant", metadata.GetProperty("resource").GetString());
        Assert.False(metadata.TryGetProperty("authorization_servers", out _)); // the app has no external issuer
        await JsonAssert.ErrorAsync(await http.GetAsync($"{Origin}/.well-known/oauth-protected-resource/mcp/{_app.Id}/nope"), HttpStatusCode.NotFound, "mcp_server_not_found");
    }

    [Fact]
    public async Task User_As_agent_never_acts_as_user_B()
    {
        await ConnectAsync("u_b", "b@sandbox.test");
        var tokenA = await _portal.UserTokenAsync(_app, "u_a");

        // A's token beside a header naming B: refused before any MCP message is read.
        using var http = new HttpClient { BaseAddress = _portal.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"mcp/{_app.Id}/assistant")
        { Content = JsonAssert.Raw("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"SANDBOX_GET_PROFILE","arguments":{}}}""") };
        request.Headers.Authorization = new("Bearer", tokenA);
        request.Headers.Add("Butterbase-User-Id", "u_b");
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        await JsonAssert.ErrorAsync(await http.SendAsync(request), HttpStatusCode.Forbidden, "forbidden");

        // A's agent sees A's (no) connections and is asked to connect, never served with B's account.
        await using var agentA = await ClientAsync("router", tokenA);
        var connections = await agentA.CallToolAsync("list_connections", new Dictionary<string, object?>());
        Assert.Empty(Structured(connections).GetProperty("connections").EnumerateArray());
        var profile = await agentA.CallToolAsync("execute_tool", new Dictionary<string, object?> { ["tool_name"] = "SANDBOX_GET_PROFILE", ["params"] = new Dictionary<string, object?>() });
        Assert.Equal("no_connection", Structured(profile).GetProperty("error").GetString());
        Assert.DoesNotContain("b@sandbox.test", Structured(profile).GetRawText());

        // B's own token reaches B's account.
        await using var agentB = await ClientAsync("router", await _portal.UserTokenAsync(_app, "u_b"), "u_b");
        var own = await agentB.CallToolAsync("execute_tool", new Dictionary<string, object?> { ["tool_name"] = "SANDBOX_GET_PROFILE", ["params"] = new Dictionary<string, object?>() });
        Assert.Contains("b@sandbox.test", Structured(own).GetRawText());
    }

    [Fact]
    public async Task An_api_key_that_names_no_user_can_list_but_each_call_answers_no_user()
    {
        await using var agent = await ClientAsync("assistant", _app.ApiKey);
        Assert.NotEmpty(await agent.ListToolsAsync());
        var result = await agent.CallToolAsync("SANDBOX_GET_PROFILE", new Dictionary<string, object?>());
        Assert.True(result.IsError);
        Assert.Equal("no_user", Structured(result).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Servers_are_configured_over_the_api_with_clear_errors_and_an_unknown_server_is_404()
    {
        using var admin = _portal.Http(_app.ApiKey);
        var bad = await JsonAssert.ErrorAsync(await admin.PostAsync($"v1/{_app.Id}/mcp-servers",
            JsonAssert.Body(new { name = "x", mode = "magic", toolkits = new[] { "nope" }, tools = new[] { "GMAIL_SEND_EMAIL" } })), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal(["mode", "toolkits[0]", "tools[0]"], bad.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()!).Order());
        await JsonAssert.ErrorAsync(await admin.PostAsync($"v1/{_app.Id}/mcp-servers",
            JsonAssert.Body(new { name = "assistant", mode = "direct", toolkits = new[] { "sandbox" } })), HttpStatusCode.Conflict, "mcp_server_exists");

        // A direct server that would list more than 1,000 tools is refused: router mode is for that.
        var catalog = _portal.Services.GetRequiredService<Butterbase.Portal.Catalog.ToolkitCatalog>();
        var wide = new[] { catalog.Toolkits.First(t => t.ToolCount > 1_000).Slug }; // no cap: one toolkit holds more than 1,000
        var tooMany = await JsonAssert.ErrorAsync(await admin.PostAsync($"v1/{_app.Id}/mcp-servers",
            JsonAssert.Body(new { name = "wide", mode = "direct", toolkits = wide })), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Contains("router mode", tooMany.GetProperty("details")[0].GetProperty("message").GetString());
        await CreateServerAsync(new { name = "wide", mode = "router", toolkits = wide });

        var created = await CreateServerAsync(new { name = "temp", mode = "direct", toolkits = new[] { "sandbox" } });
        Assert.Equal($"{Origin}/mcp/{_app.Id}/temp", created.GetProperty("endpoint").GetString());
        var patched = await JsonAssert.OkAsync(await admin.PatchAsync($"v1/{_app.Id}/mcp-servers/temp", JsonAssert.Body(new { readOnly = true })));
        Assert.True(patched.GetProperty("read_only").GetBoolean());
        Assert.Equal("direct", patched.GetProperty("mode").GetString());
        var listed = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{_app.Id}/mcp-servers"));
        Assert.Contains("temp", listed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));

        // A user token cannot configure servers.
        using var user = _portal.Http(await _portal.UserTokenAsync(_app, "u_a"));
        await JsonAssert.ErrorAsync(await user.GetAsync($"v1/{_app.Id}/mcp-servers"), HttpStatusCode.Forbidden, "forbidden");

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"v1/{_app.Id}/mcp-servers/{created.GetProperty("id").GetString()}")).StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(() => ClientAsync("temp", _app.ApiKey, "u_a"));
        await JsonAssert.ErrorAsync(await admin.GetAsync($"v1/{_app.Id}/mcp-servers/temp"), HttpStatusCode.NotFound, "mcp_server_not_found");
    }
}
