using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Butterbase.Bench.Infrastructure;

namespace Butterbase.Bench.Suites;

/// <summary>
/// `functions` (issues 6 and 12): what invoking a deployed function costs. In one run against the real portal process: an
/// authenticated API call that reads one row (`GET /settings`, the floor of any API-key request), `POST /fn/noop` (a
/// handler returning a constant: a warm Deno worker process, a fresh isolate, the module from a data: URL, the loopback
/// round trip, and the isolate the process prepares for its next invocation; the invocation log row), the
/// provider call through `POST /execute`, and the same call from a function (`ctx.integrations.asUser(…).execute`).
/// p50/p99 at concurrency 1 and 16, and throughput.
/// </summary>
public sealed class FunctionsSuite : ISuite
{
    public string Verb => "functions";
    public string Description => "function invocation overhead: GET /settings vs POST /fn/noop, and POST /execute vs the same call from a function "
        + "(options: --seconds 5 --portal-dll PATH)";

    private const string Toolkit = ConnectSuite.OAuthToolkit;
    private const string Tool = "ASANA_GET_PROJECTS";
    private const string User = "bench-user";

    public async Task<int> RunAsync(BenchOptions options, ChildProcesses children)
    {
        var seconds = options.Int("seconds", 5);
        var portalDll = PortalHost.ResolvePortalDll(options.String("portal-dll"));
        options.RejectUnknown();

        Console.WriteLine("# Butterbase functions benchmark");
        Console.WriteLine();
        MachineFacts.Print(Console.Out);

        await using var provider = await FakeOAuthProvider.StartAsync();
        await using var api = await FakeProviderApi.StartAsync(provider.IsAccessToken);
        using var portal = new PortalHost(children, portalDll);
        portal.UseStandIns(provider, api, Toolkit);
        portal.ExtraEnvironment["Butterbase__Functions__MaxConcurrentPerApp"] = "1000";
        var (appId, apiKey) = await portal.CreateAppAsync("bench-functions");
        await portal.StartAsync(TimeSpan.FromSeconds(60));
        var server = portal.ServerProcess ?? throw new BenchException("the portal process is not running");

        using var http = portal.ApiClient(apiKey);
        using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false });
        var connect = new ConnectSuite.Driver(http, browser, provider, portal.BaseAddress!, appId);
        await connect.ConfigureAndConnectAsync(User);

        await DeployAsync(http, appId, "noop", "export default () => ({ ok: true })");
        await DeployAsync(http, appId, "one-execute", """
            export default async function handler(ctx) {
              const { data, error } = await ctx.integrations.asUser('USER').execute('TOOL', {});
              return { ok: data?.successful === true, error };
            }
            """.Replace("USER", User).Replace("TOOL", Tool));

        var executeBody = Encoding.UTF8.GetBytes($$$"""{"toolName":"{{{Tool}}}","userId":"{{{User}}}","params":{}}""");
        (string Name, string What, Func<Task<string?>> Call)[] paths =
        [
            ("settings", "`GET /v1/{app}/settings` (API key, one row read): the floor of an authenticated call", () => SendAsync(http, HttpMethod.Get, $"v1/{appId}/settings", null, "\"name\"")),
            ("fn-noop", "`POST /v1/{app}/fn/noop`: a handler returning a constant", () => SendAsync(http, HttpMethod.Post, $"v1/{appId}/fn/noop", "{}"u8.ToArray(), "\"ok\":true")),
            ("execute", $"`POST …/integrations/execute` `{Tool}` (API key + userId)", () => SendAsync(http, HttpMethod.Post, $"v1/{appId}/integrations/execute", executeBody, "\"successful\":true")),
            ("fn-execute", $"`POST /v1/{{app}}/fn/one-execute`: the same call through `ctx.integrations.asUser(…).execute`", () => SendAsync(http, HttpMethod.Post, $"v1/{appId}/fn/one-execute", "{}"u8.ToArray(), "\"ok\":true")),
        ];

        Console.Error.WriteLine("  warm-up: 3 s per path at concurrency 16");
        foreach (var path in paths) await LoadRunner.RunAsync(path.Call, 16, duration: TimeSpan.FromSeconds(3));

        var results = new Dictionary<(string, int), LoadResult>();
        foreach (var concurrency in new[] { 1, 16 })
            foreach (var path in paths)
            {
                Console.Error.WriteLine($"  {path.Name} at concurrency {concurrency} for {seconds} s");
                var result = await LoadRunner.RunAsync(path.Call, concurrency, duration: TimeSpan.FromSeconds(seconds), server: server);
                if (result.Failures > 0) throw new BenchException($"{path.Name}: {result.Failures} failed calls, first: {result.FirstFailure}");
                results[(path.Name, concurrency)] = result;
            }

        Console.WriteLine("| path | c=1 p50 | c=1 p99 | c=16 p50 | c=16 p99 | c=16 calls/s | portal CPU per call (c=16) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var path in paths)
        {
            var one = results[(path.Name, 1)];
            var many = results[(path.Name, 16)];
            Console.WriteLine($"| {path.What} | {ResultTable.Ms(one.Latency.P50Ms)} | {ResultTable.Ms(one.Latency.P99Ms)} | {ResultTable.Ms(many.Latency.P50Ms)} | "
                + $"{ResultTable.Ms(many.Latency.P99Ms)} | {many.PerSecond:N0} | {many.Cpu.PerCall(many.Calls)} |");
        }
        Console.WriteLine();
        var invokeOverhead = results[("fn-noop", 1)].Latency.P50Ms - results[("settings", 1)].Latency.P50Ms;
        var executeOverhead = results[("fn-execute", 1)].Latency.P50Ms - results[("execute", 1)].Latency.P50Ms;
        Console.WriteLine($"Invocation overhead at c=1 (p50 of /fn/noop − p50 of GET /settings): {ResultTable.Ms(invokeOverhead)}; "
            + $"a tool call from a function vs the same POST /execute: +{ResultTable.Ms(executeOverhead)} p50; "
            + $"throughput at c=16: /fn/noop {results[("fn-noop", 16)].PerSecond:N0}/s vs GET /settings {results[("settings", 16)].PerSecond:N0}/s, "
            + $"/fn/one-execute {results[("fn-execute", 16)].PerSecond:N0}/s vs /execute {results[("execute", 16)].PerSecond:N0}/s.");
        return 0;
    }

    private static async Task DeployAsync(HttpClient http, string appId, string name, string code)
    {
        var body = System.Text.Json.JsonSerializer.Serialize(new { name, code });
        using var response = await http.PostAsync($"v1/{appId}/functions", new StringContent(body, Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new BenchException($"deploying {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<string?> SendAsync(HttpClient http, HttpMethod method, string path, byte[]? body, string expect)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode && text.Contains(expect, StringComparison.Ordinal) ? null : $"{(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}";
    }
}
