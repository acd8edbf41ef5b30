using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Butterbase.Bench.Infrastructure;

namespace Butterbase.Bench.Suites;

/// <summary>
/// `instances` (issue 7): `POST /execute` throughput on PostgreSQL with one portal process and with two processes on the
/// same database, the load split round-robin between them (what a load balancer does). The server comes from
/// `--postgres`, else `BUTTERBASE_BENCH_POSTGRES`, else `scripts/postgres.sh` (run from the repository root).
/// </summary>
public sealed class InstancesSuite : ISuite
{
    public string Verb => "instances";
    public string Description => "execute throughput on PostgreSQL, one portal process vs two on one database "
        + "(options: --seconds 5 --postgres CONNECTION --portal-dll PATH)";

    private const string Toolkit = ConnectSuite.OAuthToolkit;
    private const string Tool = "ASANA_GET_PROJECTS";
    private const string User = "bench-user";

    public async Task<int> RunAsync(BenchOptions options, ChildProcesses children)
    {
        var seconds = options.Int("seconds", 5);
        var server = options.String("postgres") ?? Environment.GetEnvironmentVariable("BUTTERBASE_BENCH_POSTGRES") ?? await StartPostgresAsync();
        var portalDll = PortalHost.ResolvePortalDll(options.String("portal-dll"));
        options.RejectUnknown();

        Console.WriteLine("# Butterbase instances benchmark (PostgreSQL)");
        Console.WriteLine();
        MachineFacts.Print(Console.Out);

        var database = "bench_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new Npgsql.NpgsqlConnection($"{server};Database=postgres"))
        {
            await admin.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        try
        {
            await using var provider = await FakeOAuthProvider.StartAsync();
            await using var api = await FakeProviderApi.StartAsync(provider.IsAccessToken);
            PortalHost Host()
            {
                var host = new PortalHost(children, portalDll);
                host.UseStandIns(provider, api, Toolkit);
                host.ExtraEnvironment["Butterbase__Database__Provider"] = "Postgres";
                host.ExtraEnvironment["ConnectionStrings__Postgres"] = $"{server};Database={database};Maximum Pool Size=200";
                return host;
            }
            using var first = Host();
            using var second = Host();
            var (appId, apiKey) = await first.CreateAppAsync("bench-instances");
            await first.StartAsync(TimeSpan.FromSeconds(60));
            await second.StartAsync(TimeSpan.FromSeconds(60));

            HttpClient Client(Uri address)
            {
                var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 256 })
                {
                    BaseAddress = address,
                    Timeout = TimeSpan.FromSeconds(30),
                };
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
                return client;
            }
            using var toFirst = Client(first.BaseAddress!);
            using var toSecond = Client(second.BaseAddress!);
            using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false });
            var connect = new ConnectSuite.Driver(toFirst, browser, provider, first.BaseAddress!, appId);
            await connect.ConfigureAndConnectAsync(User);
            Console.WriteLine($"- two portal processes (pids {first.ServerProcess!.Id}, {second.ServerProcess!.Id}) on PostgreSQL database {database}");
            Console.WriteLine();

            var body = Encoding.UTF8.GetBytes($$$"""{"toolName":"{{{Tool}}}","userId":"{{{User}}}","params":{}}""");
            long turn = 0;
            Func<Task<string?>> one = () => ExecuteAsync(toFirst, appId, body);
            Func<Task<string?>> both = () => ExecuteAsync(Interlocked.Increment(ref turn) % 2 == 0 ? toFirst : toSecond, appId, body);

            Console.Error.WriteLine("  warm-up: 5 s on each instance");
            await LoadRunner.RunAsync(one, 16, duration: TimeSpan.FromSeconds(5));
            await LoadRunner.RunAsync(() => ExecuteAsync(toSecond, appId, body), 16, duration: TimeSpan.FromSeconds(5));

            Console.WriteLine("| concurrency | one instance: calls/s · p50 · p99 | two instances: calls/s · p50 · p99 | two ÷ one |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var concurrency in new[] { 16, 64 })
            {
                Console.Error.WriteLine($"  c={concurrency}: one instance, then two, {seconds} s each");
                var single = await LoadRunner.RunAsync(one, concurrency, duration: TimeSpan.FromSeconds(seconds));
                var pair = await LoadRunner.RunAsync(both, concurrency, duration: TimeSpan.FromSeconds(seconds));
                foreach (var (name, r) in new[] { ("one", single), ("two", pair) })
                    if (r.Failures > 0) throw new BenchException($"{name} instance(s) at c={concurrency}: {r.Failures} failed, first: {r.FirstFailure}");
                Console.WriteLine($"| {concurrency} | {single.PerSecond:N0}/s · {ResultTable.Ms(single.Latency.P50Ms)} · {ResultTable.Ms(single.Latency.P99Ms)} | "
                    + $"{pair.PerSecond:N0}/s · {ResultTable.Ms(pair.Latency.P50Ms)} · {ResultTable.Ms(pair.Latency.P99Ms)} | {pair.PerSecond / single.PerSecond:0.00} |");
            }
            Console.WriteLine();

            // The refresh storm across processes: every access token dies at the provider, then 500 concurrent executes
            // split over both processes each meet a 401. One refresh must happen at the provider, and every execute succeed.
            provider.ExpireAllAccessTokens();
            var refreshesBefore = provider.RefreshGrants;
            long sent = 0;
            var storm = await LoadRunner.RunAsync(() => ExecuteAsync(Interlocked.Increment(ref sent) % 2 == 0 ? toFirst : toSecond, appId, body), 500, count: 500);
            var refreshes = provider.RefreshGrants - refreshesBefore;
            Console.WriteLine($"Refresh storm: 500 concurrent executes over both processes after the provider dropped every access token: "
                + $"**{refreshes} refresh call(s)** at the provider, {provider.ReusedRefreshTokens} reuse(s) of a spent refresh token, "
                + $"{storm.Calls - storm.Failures}/{storm.Calls} executes successful{(storm.FirstFailure is null ? "" : $" (first failure: {storm.FirstFailure})")}.");
            Console.WriteLine();
            Console.WriteLine($"Both processes, the bench, the stand-ins and PostgreSQL share this machine's {Environment.ProcessorCount} cores: "
                + "a second instance adds no CPU here, so the ratio shows the cost of sharing one database, not the gain of a second machine.");
            return refreshes == 1 && storm.Failures == 0 ? 0 : 1;
        }
        finally
        {
            await using var admin = new Npgsql.NpgsqlConnection($"{server};Database=postgres");
            await admin.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static async Task<string> StartPostgresAsync()
    {
        var script = Path.Combine(Directory.GetCurrentDirectory(), "scripts", "postgres.sh");
        if (!File.Exists(script)) throw new BenchException("no PostgreSQL: pass --postgres, set BUTTERBASE_BENCH_POSTGRES, or run from the repository root (scripts/postgres.sh)");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        var output = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new BenchException("scripts/postgres.sh failed");
    }

    private static async Task<string?> ExecuteAsync(HttpClient http, string appId, byte[] body)
    {
        using var content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        using var response = await http.PostAsync($"v1/{appId}/integrations/execute", content);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode && text.Contains("\"successful\":true", StringComparison.Ordinal) ? null : $"{(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}";
    }
}
