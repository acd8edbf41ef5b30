using System.Net.Http.Headers;
using System.Text;
using Butterbase.Bench.Infrastructure;
using Butterbase.Portal.Catalog;

namespace Butterbase.Bench.Suites;

/// <summary>
/// `mcp` (issue 15): what the MCP endpoint adds over `POST /execute`. Against the real portal process: the same provider
/// call (a stand-in over loopback) through `POST …/integrations/execute` and through MCP `tools/call` on a stateless
/// Streamable HTTP server (`/mcp/{app}/{server}`, API key + `Butterbase-User-Id`), p50/p99 at concurrency 1, 16 and 64;
/// and `tools/list` of a direct server over 1,000 tools.
/// Both paths are driven as raw HTTP by the same client, so the difference is the server's: JSON-RPC parsing, the SDK's
/// per-request server, the server-configuration lookup, and the result mapping.
/// </summary>
public sealed class McpSuite : ISuite
{
    public string Verb => "mcp";
    public string Description => "MCP tools/call vs POST /execute for one provider call, and tools/list over 1,000 tools (options: --seconds 5 --list-iterations 300 --portal-dll PATH)";

    private const string Toolkit = ConnectSuite.OAuthToolkit;
    private const string Tool = "ASANA_GET_PROJECTS";
    private const string User = "bench-user";
    private const string ProtocolVersion = "2025-06-18";

    public async Task<int> RunAsync(BenchOptions options, ChildProcesses children)
    {
        var seconds = options.Int("seconds", 5);
        var listIterations = options.Int("list-iterations", 300);
        var portalDll = PortalHost.ResolvePortalDll(options.String("portal-dll"));
        options.RejectUnknown();

        Console.WriteLine("# Butterbase MCP benchmark");
        Console.WriteLine();
        MachineFacts.Print(Console.Out);

        await using var provider = await FakeOAuthProvider.StartAsync();
        await using var api = await FakeProviderApi.StartAsync(provider.IsAccessToken);
        using var portal = new PortalHost(children, portalDll);
        portal.UseStandIns(provider, api, Toolkit);
        var (appId, apiKey) = await portal.CreateAppAsync("bench-mcp");
        await portal.StartAsync(TimeSpan.FromSeconds(60));
        var server = portal.ServerProcess ?? throw new BenchException("the portal process is not running");

        using var http = portal.ApiClient(apiKey);
        using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false });
        var connect = new ConnectSuite.Driver(http, browser, provider, portal.BaseAddress!, appId);
        await connect.ConfigureAndConnectAsync(User);

        // About 1,000 tools for tools/list (a direct server's cap): keyed toolkits (no OAuth client needed) of 50–150 tools,
        // added until the next would pass 1,000.
        var catalog = new ToolkitCatalog();
        var big = new List<string>();
        var total = 0;
        foreach (var t in catalog.Toolkits.Where(t => t.ToolCount is >= 50 and <= 150 && t.DefaultAuth.Type is "api_key" or "bearer").OrderBy(t => t.Slug))
            if (total + t.ToolCount <= 1000) { big.Add(t.Slug); total += t.ToolCount; }
        foreach (var slug in big) await PostAsync(http, $"v1/{appId}/integrations/configure", $$"""{"toolkit":"{{slug}}"}""");
        await PostAsync(http, $"v1/{appId}/mcp-servers", $$"""{"name":"agent","mode":"direct","toolkits":["{{Toolkit}}"],"tools":["{{Tool}}"]}""");
        await PostAsync(http, $"v1/{appId}/mcp-servers", System.Text.Json.JsonSerializer.Serialize(new { name = "wide", mode = "direct", toolkits = big }));
        var listed = big.Sum(slug => catalog.ToolsOf(catalog.Find(slug)!).Tools.Count);

        var executeBody = Encoding.UTF8.GetBytes($$$"""{"toolName":"{{{Tool}}}","userId":"{{{User}}}","params":{}}""");
        var callBody = Encoding.UTF8.GetBytes($$$$"""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"{{{{Tool}}}}","arguments":{}}}""");
        var listBody = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}""");
        var pingBody = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":3,"method":"ping"}""");
        (string Name, string What, Func<Task<string?>> Call)[] paths =
        [
            ("execute", $"`POST …/integrations/execute` `{Tool}` (API key + userId)", () => SendAsync(http, $"v1/{appId}/integrations/execute", executeBody, "\"successful\":true", mcp: false)),
            ("settings", "`GET /v1/{app}/settings` (API key, one row read): the floor of an authenticated call", () => GetAsync(http, $"v1/{appId}/settings")),
            ("ping", "MCP `ping` on the same server: the transport's floor (auth, server lookup, the SDK's per-request server)", () => SendAsync(http, $"mcp/{appId}/agent", pingBody, "\"result\"", mcp: true)),
            ("mcp", $"MCP `tools/call` `{Tool}` on `/mcp/{{app}}/agent` (API key + Butterbase-User-Id)", () => SendAsync(http, $"mcp/{appId}/agent", callBody, "\"successful\":true", mcp: true)),
        ];

        Console.Error.WriteLine("  warm-up: 3 s per path at concurrency 16");
        foreach (var path in paths) await LoadRunner.RunAsync(path.Call, 16, duration: TimeSpan.FromSeconds(3));

        var results = new Dictionary<(string, int), LoadResult>();
        int[] levels = [1, 16, 64];
        foreach (var concurrency in levels)
            foreach (var path in paths)
            {
                Console.Error.WriteLine($"  {path.Name} at concurrency {concurrency} for {seconds} s");
                var result = await LoadRunner.RunAsync(path.Call, concurrency, duration: TimeSpan.FromSeconds(seconds), server: server);
                if (result.Failures > 0) throw new BenchException($"{path.Name}: {result.Failures} failed calls, first: {result.FirstFailure}");
                results[(path.Name, concurrency)] = result;
            }

        Console.Error.WriteLine($"  tools/list over {listed} tools: {listIterations} calls after 30 warm-up");
        Func<Task<string?>> list = () => SendAsync(http, $"mcp/{appId}/wide", listBody, "\"inputSchema\"", mcp: true);
        for (var i = 0; i < 30; i++) await list();
        var listResult = await LoadRunner.RunAsync(list, 1, count: listIterations, server: server);
        if (listResult.Failures > 0) throw new BenchException($"tools/list: {listResult.Failures} failed calls, first: {listResult.FirstFailure}");
        var listBytes = (await RawAsync(http, $"mcp/{appId}/wide", listBody)).Length;

        Console.WriteLine("| path | c=1 p50 | c=1 p99 | c=16 p50 | c=16 calls/s | c=64 p50 | c=64 calls/s | portal CPU per call (c=16) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var path in paths)
        {
            var (one, sixteen, many) = (results[(path.Name, 1)], results[(path.Name, 16)], results[(path.Name, 64)]);
            Console.WriteLine($"| {path.What} | {ResultTable.Ms(one.Latency.P50Ms)} | {ResultTable.Ms(one.Latency.P99Ms)} | {ResultTable.Ms(sixteen.Latency.P50Ms)} | "
                + $"{sixteen.PerSecond:N0} | {ResultTable.Ms(many.Latency.P50Ms)} | {many.PerSecond:N0} | {sixteen.Cpu.PerCall(sixteen.Calls)} |");
        }
        Console.WriteLine($"| MCP `tools/list`, direct server over {listed} tools ({big.Count} toolkits), {listBytes / 1024:N0} KB answer | {ResultTable.Ms(listResult.Latency.P50Ms)} | {ResultTable.Ms(listResult.Latency.P99Ms)} | | | | | |");
        Console.WriteLine();
        var overhead = results[("mcp", 1)].Latency.P50Ms - results[("execute", 1)].Latency.P50Ms;
        var floor = results[("ping", 1)].Latency.P50Ms - results[("settings", 1)].Latency.P50Ms;
        Console.WriteLine($"MCP adds {ResultTable.Ms(overhead)} p50 at c=1 over POST /execute (goal < 0.3 ms), of which the transport floor "
            + $"(ping vs GET /settings) is {ResultTable.Ms(floor)}; throughput "
            + string.Join(", ", levels.Skip(1).Select(c => $"c={c}: {results[("mcp", c)].PerSecond:N0}/s vs {results[("execute", c)].PerSecond:N0}/s"))
            + $"; tools/list over {listed} tools p99 {ResultTable.Ms(listResult.Latency.P99Ms)}.");
        return overhead < 0.3 ? 0 : 1;
    }

    private static async Task<string?> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}";
    }

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new BenchException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static HttpRequestMessage Request(string path, byte[] body, bool mcp)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (mcp)
        {
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            request.Headers.Add("MCP-Protocol-Version", ProtocolVersion);
            request.Headers.Add("Butterbase-User-Id", User);
        }
        return request;
    }

    private static async Task<string> RawAsync(HttpClient http, string path, byte[] body)
    {
        using var request = Request(path, body, mcp: true);
        using var response = await http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<string?> SendAsync(HttpClient http, string path, byte[] body, string expect, bool mcp)
    {
        using var request = Request(path, body, mcp);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode && text.Contains(expect, StringComparison.Ordinal) && !text.Contains("\"isError\":true", StringComparison.Ordinal)
            ? null : $"{(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}";
    }
}
