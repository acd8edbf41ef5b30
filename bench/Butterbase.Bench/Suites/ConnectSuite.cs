using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Butterbase.Bench.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Butterbase.Bench.Suites;

/// <summary>
/// `connect`: `POST /v1/{app}/integrations/connect` latency (an OAuth toolkit and an API-key toolkit) and the OAuth
/// callback `GET /v1/oauth/callback/{toolkit}` latency (token exchange and identity call to a stand-in provider over
/// loopback, then the transactional write of the connection), plus the whole "connect a user" round, against the real
/// portal process.
/// </summary>
public sealed class ConnectSuite : ISuite
{
    public string Verb => "connect";
    public string Description => "POST /connect and OAuth callback latency against a stand-in provider on loopback (options: "
        + "--connect-iterations 2000 --callback-iterations 1000 --users 500 --portal-dll PATH)";

    internal const string OAuthToolkit = "asana";      // oauth2 in the catalog: PKCE (S256), client_secret_post, an identity URL
    private const string ApiKeyToolkit = "sendgrid";  // api_key in the catalog: /connect answers with the hosted connect page
    internal const string ReturnUrl = "https://app.example.com/back";

    public async Task<int> RunAsync(BenchOptions options, ChildProcesses children)
    {
        var connectIterations = options.Int("connect-iterations", 2_000);
        var callbackIterations = options.Int("callback-iterations", 1_000);
        var users = options.Int("users", 500);
        var portalDll = PortalHost.ResolvePortalDll(options.String("portal-dll"));
        options.RejectUnknown();

        var table = new ResultTable();
        var total = Stopwatch.GetTimestamp();
        Console.WriteLine("# Butterbase connect benchmark");
        Console.WriteLine();
        MachineFacts.Print(Console.Out);

        Progress("stand-in OAuth provider (in this process)");
        await using var provider = await FakeOAuthProvider.StartAsync();
        using var portal = new PortalHost(children, portalDll);
        foreach (var (key, value) in provider.PortalEnvironment(OAuthToolkit)) portal.ExtraEnvironment[key] = value;

        Progress("portal: apps create (migrates the scratch database), then start");
        var (appId, apiKey) = await portal.CreateAppAsync("bench-connect");
        var startupMs = await portal.StartAsync(TimeSpan.FromSeconds(60));
        Console.WriteLine($"- portal: {portal.BaseAddress} (started in {ResultTable.Ms(startupMs)}); stand-in provider: {provider.BaseAddress} "
            + $"(`Butterbase__Toolkits__{OAuthToolkit}__*` point at it)");
        Console.WriteLine();

        using var api = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            BaseAddress = portal.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        // The end user's browser: follows nothing by itself, so each hop is seen (and only the callback is timed).
        using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        var bench = new Driver(api, browser, provider, portal.BaseAddress!, appId);

        Progress($"set-up: configure {OAuthToolkit} and {ApiKeyToolkit}, allow {ReturnUrl}");
        await bench.SendAsync(HttpMethod.Post, "integrations/configure", $$"""{"toolkit":"{{OAuthToolkit}}"}""");
        await bench.SendAsync(HttpMethod.Post, "integrations/configure", $$"""{"toolkit":"{{ApiKeyToolkit}}"}""");
        await bench.SendAsync(HttpMethod.Patch, "settings", $$"""{"allowed_redirect_urls":["{{ReturnUrl}}"]}""");

        // The very first round after start-up: JIT, the data-protection key ring (created in the DB), first connections.
        var first = await bench.ConnectUserAsync("first-user");
        if (!first.Connected) throw new BenchException($"the first OAuth round did not connect: {first.Problem}");
        table.Info("First connect → authorize → callback after start-up (JIT cold)",
            $"{ResultTable.Ms(Samples.Ms(first.EndToEndTicks))} (of which callback {ResultTable.Ms(Samples.Ms(first.CallbackTicks))})");

        Progress("warm-up: OAuth rounds (+ one API-key /connect each) until the round p50 settles");
        var warm = await bench.WarmUpAsync();
        table.Info("Warm-up before measuring (OAuth rounds in windows of 100, until the round p50 settles)",
            $"{warm.Rounds:N0} rounds ({warm.Rounds * 3:N0} portal requests) in {ResultTable.Ms(warm.Ms)}, "
            + $"window p50 {ResultTable.Ms(warm.FirstP50Ms)} → {ResultTable.Ms(warm.LastP50Ms)}"
            + (warm.Settled ? "" : " (had not settled: figures below may be pessimistic)"));

        Progress($"POST /connect: {connectIterations:N0} sequential requests per toolkit over {users:N0} users");
        var oauthConnect = await bench.MeasureConnectAsync(OAuthToolkit, connectIterations, users);
        table.Info($"`POST …/integrations/connect`, OAuth toolkit (`{OAuthToolkit}`: state + PKCE verifier stored, answers the provider's authorize URL)",
            ResultTable.Latency(oauthConnect));
        var keyConnect = await bench.MeasureConnectAsync(ApiKeyToolkit, connectIterations, users);
        table.Info($"`POST …/integrations/connect`, API-key toolkit (`{ApiKeyToolkit}`: request stored, answers the hosted page URL)",
            ResultTable.Latency(keyConnect));

        // Baseline for /connect: the same pipeline (API-key lookup, rate limiter, JSON) with one indexed read and no write.
        var read = await bench.MeasureGetAsync($"integrations/connection-requests/{bench.LastRequestId}", connectIterations);
        table.Info("Baseline: `GET …/integrations/connection-requests/{id}` (API-key auth + one indexed read, no write)", ResultTable.Latency(read));

        Progress($"OAuth callback: {callbackIterations:N0} sequential connect → authorize → callback rounds over {users:N0} users");
        var rounds = await bench.MeasureRoundsAsync(callbackIterations, users);
        var allConnected = rounds.Failed == 0;
        table.Check($"`GET /v1/oauth/callback/{OAuthToolkit}` (state consumed, token exchange + identity call over loopback, connection written in one transaction)",
            ResultTable.Latency(rounds.Callback) + (allConnected ? "" : $" — **{rounds.Failed:N0} did not end in status=connected**"), allConnected);
        table.Info("Where a callback's time goes (medians; the stand-in provider's timestamps, same clock)", rounds.Breakdown);
        table.Info("End-to-end \"connect a user\": `POST /connect` + authorize at the provider (302) + callback (302)", ResultTable.Latency(rounds.EndToEnd));

        Progress("baseline: SQLite commits on the scratch database's disk");
        var (commit, synchronous) = SqliteCommitBaseline(portal.ScratchDirectory, 500);
        table.Info($"Baseline: one SQLite autocommit `INSERT` in the bench process, same disk, WAL, synchronous={synchronous} (the portal's settings)",
            ResultTable.Latency(commit));

        // Correctness of what was measured: every round must have connected a new account, with exactly one token call.
        var callbacks = bench.Callbacks;
        table.Check("Callbacks that ended in a 302 to the app with `status=connected` (every round of the run, warm-up included)",
            $"{bench.Connected:N0} of {callbacks:N0}" + (bench.FirstProblem is { } p ? $"; first problem: {p}" : ""), bench.Connected == callbacks);
        var tokenCalls = provider.TokenCalls;
        table.Check("Provider calls made by the portal: token exchanges · identity calls (one each per callback)",
            $"{tokenCalls:N0} token ({provider.TokenRejections:N0} rejected) · {provider.UserInfoCalls:N0} identity, for {callbacks:N0} callbacks",
            tokenCalls == callbacks && provider.TokenRejections == 0 && provider.UserInfoCalls == callbacks);
        var stored = await bench.CountConnectionsAsync(OAuthToolkit);
        table.Check($"`{OAuthToolkit}` connections stored afterwards (`GET …/connections?toolkit={OAuthToolkit}`, total)",
            $"{stored:N0} (one per connected callback: {bench.Connected:N0})", stored == bench.Connected);

        Console.WriteLine();
        table.Print(Console.Out);
        Console.WriteLine();
        Console.WriteLine($"Whole run: {ResultTable.Ms(Samples.MsSince(total))}; load average at the end: {MachineFacts.LoadAverage()}. "
            + (table.AllPassed ? "Every check passed." : "A check failed."));
        return table.AllPassed ? 0 : 1;
    }

    /// <summary>
    /// What one durable commit costs on this disk: the callback commits twice (the state is consumed in its own
    /// statement, then the connection is written in one transaction) and /connect once. WAL and the driver's default
    /// synchronous mode, as the portal runs (DatabaseSetup sets journal_mode=WAL and nothing else).
    /// </summary>
    private static (Summary Summary, string Synchronous) SqliteCommitBaseline(string directory, int iterations)
    {
        var path = Path.Combine(directory, "commit-baseline.db");
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);";
            setup.ExecuteNonQuery();
        }
        string synchronous;
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous;";
            synchronous = Convert.ToInt64(pragma.ExecuteScalar()) switch { 0 => "OFF", 1 => "NORMAL", 2 => "FULL", 3 => "EXTRA", var n => n.ToString() };
        }
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO t (v) VALUES ($v);";
        var value = insert.Parameters.Add("$v", Microsoft.Data.Sqlite.SqliteType.Text);
        var samples = new Samples(iterations);
        for (var i = -50; i < iterations; i++)
        {
            value.Value = $"row {i} " + new string('x', 200);
            var start = Stopwatch.GetTimestamp();
            insert.ExecuteNonQuery();
            if (i >= 0) samples.Add(Stopwatch.GetTimestamp() - start);
        }
        return (samples.Summarise(), synchronous);
    }

    private static void Progress(string what) => Console.Error.WriteLine($"... {what}");

    /// <summary>One OAuth round; <c>Phases</c> splits the callback (see <see cref="Driver.ConnectUserAsync"/>).</summary>
    internal sealed record Round(bool Connected, string? Problem, long CallbackTicks, long EndToEndTicks, long[]? Phases);

    /// <summary>The HTTP side of the suite: the app's server (API key) and the end user's browser. Also used by the `execute` suite to connect its user.</summary>
    internal sealed class Driver(HttpClient api, HttpClient browser, FakeOAuthProvider provider, Uri portal, string appId)
    {
        private readonly string _appPath = $"v1/{Uri.EscapeDataString(appId)}/";
        private readonly string _callbackPrefix = new Uri(portal, $"v1/oauth/callback/{OAuthToolkit}?").ToString();
        private readonly string _hostedPrefix = new Uri(portal, "connect/").ToString();
        private readonly string _authorizePrefix = new Uri(provider.BaseAddress, "authorize?").ToString();

        public int Callbacks { get; private set; }
        public int Connected { get; private set; }
        public string? FirstProblem { get; private set; }
        public string LastRequestId { get; private set; } = "";

        /// <summary>A set-up call with the API key; anything but 200 ends the run.</summary>
        public async Task SendAsync(HttpMethod method, string path, string json)
        {
            using var request = new HttpRequestMessage(method, _appPath + path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            using var response = await Send(api, request);
            if (response.StatusCode != HttpStatusCode.OK)
                throw new BenchException($"{method} /{_appPath}{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        private static StringContent ConnectBody(string toolkit, string userId) =>
            new($$"""{"toolkit":"{{toolkit}}","redirectUrl":"{{ReturnUrl}}","userId":"{{userId}}"}""", Encoding.UTF8, "application/json");

        /// <summary>`POST /connect` (body read in full, inside the timing), then the authUrl it answered, checked.</summary>
        private async Task<(string AuthUrl, string RequestId, long Ticks)> ConnectAsync(string toolkit, string userId)
        {
            using var content = ConnectBody(toolkit, userId);
            var start = Stopwatch.GetTimestamp();
            using var response = await Send(api, new HttpRequestMessage(HttpMethod.Post, _appPath + "integrations/connect") { Content = content });
            var body = await response.Content.ReadAsStringAsync();
            var ticks = Stopwatch.GetTimestamp() - start;
            if (response.StatusCode != HttpStatusCode.OK)
                throw new BenchException($"POST /connect ({toolkit}, {userId}) answered {(int)response.StatusCode}: {body}");
            using var json = JsonDocument.Parse(body);
            var authUrl = json.RootElement.GetProperty("authUrl").GetString() ?? "";
            LastRequestId = json.RootElement.GetProperty("connectionRequestId").GetString() ?? "";
            var expected = toolkit == OAuthToolkit ? _authorizePrefix : _hostedPrefix;
            if (!authUrl.StartsWith(expected, StringComparison.Ordinal))
                throw new BenchException($"POST /connect ({toolkit}) answered authUrl {authUrl}, expected it to start with {expected}");
            return (authUrl, LastRequestId, ticks);
        }

        /// <summary>The execute-style suites' set-up: enable the OAuth toolkit, allow the return URL, connect <paramref name="userId"/>.</summary>
        public async Task ConfigureAndConnectAsync(string userId)
        {
            await SendAsync(HttpMethod.Post, "integrations/configure", $$"""{"toolkit":"{{OAuthToolkit}}"}""");
            await SendAsync(HttpMethod.Patch, "settings", $$"""{"allowed_redirect_urls":["{{ReturnUrl}}"]}""");
            var round = await ConnectUserAsync(userId);
            if (!round.Connected) throw new BenchException($"connecting {userId} failed: {round.Problem}");
        }

        /// <summary>One "connect a user" round: /connect, the provider's authorize (302 back with code + state), the callback.</summary>
        public async Task<Round> ConnectUserAsync(string userId)
        {
            var start = Stopwatch.GetTimestamp();
            var (authUrl, _, _) = await ConnectAsync(OAuthToolkit, userId);

            string callbackUrl;
            using (var authorize = await Send(browser, new HttpRequestMessage(HttpMethod.Get, authUrl)))
            {
                callbackUrl = authorize.Headers.Location?.ToString() ?? "";
                if (authorize.StatusCode != HttpStatusCode.Found || !callbackUrl.StartsWith(_callbackPrefix, StringComparison.Ordinal))
                    throw new BenchException($"the stand-in provider's /authorize answered {(int)authorize.StatusCode} to {callbackUrl}: "
                        + await authorize.Content.ReadAsStringAsync());
            }

            var callbackStart = Stopwatch.GetTimestamp();
            using var callback = await Send(browser, new HttpRequestMessage(HttpMethod.Get, callbackUrl));
            var body = await callback.Content.ReadAsStringAsync();
            var end = Stopwatch.GetTimestamp();
            var exchange = provider.LastExchange;

            Callbacks++;
            var location = callback.Headers.Location?.ToString() ?? "";
            var connected = callback.StatusCode == HttpStatusCode.Found && location.StartsWith(ReturnUrl + "?", StringComparison.Ordinal)
                && QueryHelpers.ParseQuery(new Uri(location).Query).TryGetValue("status", out var status) && status == "connected";
            string? problem = null;
            if (connected) Connected++;
            else
            {
                problem = $"callback answered {(int)callback.StatusCode}" + (location.Length > 0 ? $" to {location}" : $": {Trim(body)}");
                FirstProblem ??= problem;
            }
            // Phases (Stopwatch ticks, one clock: the provider runs in this process): portal until /token is entered ·
            // /token handler · portal until /userinfo is entered · /userinfo handler · portal until the 302 is read here.
            // Only when this callback's own token and identity calls were seen (a failed one may have made neither).
            long[]? phases = connected && exchange.TokenIn > callbackStart && exchange.UserInfoOut > exchange.TokenIn && exchange.UserInfoOut < end
                ? [exchange.TokenIn - callbackStart, exchange.TokenOut - exchange.TokenIn, exchange.UserInfoIn - exchange.TokenOut,
                   exchange.UserInfoOut - exchange.UserInfoIn, end - exchange.UserInfoOut]
                : null;
            return new Round(connected, problem, end - callbackStart, end - start, phases);
        }

        /// <summary>
        /// Like the catalog suite's HTTP warm-up (tiered JIT needs a few thousand requests on 2 cores): OAuth rounds, each
        /// with one API-key /connect beside it, in windows of 100, until two windows in a row are no more than 5% faster
        /// (p50 of the round) than the best before them; at least 1,000 rounds (3,000 portal requests), at most 30 s.
        /// On this 2-core VM the round p50 went from ~14 ms to ~6 ms and flattened after about 1,000 rounds; with 500 the
        /// windows were still noisy enough to stop the warm-up at ~11 ms. Warm-up users are their own.
        /// </summary>
        public async Task<(int Rounds, double Ms, double FirstP50Ms, double LastP50Ms, bool Settled)> WarmUpAsync()
        {
            const int Window = 100, MinRounds = 1_000;
            var start = Stopwatch.GetTimestamp();
            double best = double.MaxValue, first = 0, last = 0;
            var rounds = 0;
            var steady = 0;
            while (true)
            {
                var window = new Samples(Window);
                for (var i = 0; i < Window; i++, rounds++)
                {
                    var round = await ConnectUserAsync($"warm-{rounds}");
                    window.Add(round.EndToEndTicks);
                    await ConnectAsync(ApiKeyToolkit, $"warm-{rounds}");
                }
                last = window.Summarise().P50Ms;
                Console.Error.WriteLine($"    warm-up: {rounds:N0} rounds, window p50 {ResultTable.Ms(last)}, load average {MachineFacts.LoadAverage()}");
                if (first == 0) first = last;
                steady = last < best * 0.95 ? 0 : steady + 1;
                best = Math.Min(best, last);
                if (rounds >= MinRounds && steady >= 2) return (rounds, Samples.MsSince(start), first, last, true);
                if (Stopwatch.GetElapsedTime(start) > TimeSpan.FromSeconds(30)) return (rounds, Samples.MsSince(start), first, last, false);
            }
        }

        /// <summary>
        /// Sequential `POST /connect` for one toolkit, userId round-robin over <paramref name="users"/> (a user keeps at most
        /// 5 pending requests per toolkit; with 2,000 + 200 requests over 500 users nobody reaches the cap). 200 untimed first.
        /// </summary>
        public async Task<Summary> MeasureConnectAsync(string toolkit, int iterations, int users)
        {
            for (var i = 0; i < 200; i++) await ConnectAsync(toolkit, $"user-{i % users}");
            var samples = new Samples(iterations);
            for (var i = 0; i < iterations; i++)
                samples.Add((await ConnectAsync(toolkit, $"user-{(i + 200) % users}")).Ticks);
            return samples.Summarise();
        }

        /// <summary>Sequential GETs with the API key (200 untimed first); anything but 200 ends the run.</summary>
        public async Task<Summary> MeasureGetAsync(string path, int iterations)
        {
            var samples = new Samples(iterations);
            for (var i = -200; i < iterations; i++)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await Send(api, new HttpRequestMessage(HttpMethod.Get, _appPath + path));
                var body = await response.Content.ReadAsStringAsync();
                if (i >= 0) samples.Add(Stopwatch.GetTimestamp() - start);
                if (response.StatusCode != HttpStatusCode.OK) throw new BenchException($"GET /{_appPath}{path} answered {(int)response.StatusCode}: {body}");
            }
            return samples.Summarise();
        }

        public async Task<(Summary Callback, Summary EndToEnd, int Failed, string Breakdown)> MeasureRoundsAsync(int iterations, int users)
        {
            for (var i = 0; i < 50; i++) await ConnectUserAsync($"round-user-{i % users}");
            var callback = new Samples(iterations);
            var endToEnd = new Samples(iterations);
            var phases = Enumerable.Range(0, 5).Select(_ => new Samples(iterations)).ToArray();
            var failed = 0;
            for (var i = 0; i < iterations; i++)
            {
                var round = await ConnectUserAsync($"round-user-{(i + 50) % users}");
                callback.Add(round.CallbackTicks);
                endToEnd.Add(round.EndToEndTicks);
                if (!round.Connected) failed++;
                if (round.Phases is { } p) for (var k = 0; k < p.Length; k++) phases[k].Add(p[k]);
            }
            var breakdown = phases[0].Count == 0 ? "n/a (no callback connected)" :
                $"portal until the token request reaches the provider {P50(phases[0])} · provider's /token {P50(phases[1])} · "
                + $"portal between token answer and identity request {P50(phases[2])} · provider's /userinfo {P50(phases[3])} · "
                + $"portal from identity answer to the 302 received (DB transaction, encrypt, redirect) {P50(phases[4])}";
            return (callback.Summarise(), endToEnd.Summarise(), failed, breakdown);
        }

        private static string P50(Samples s) => ResultTable.Ms(s.Summarise().P50Ms);

        public async Task<int> CountConnectionsAsync(string toolkit)
        {
            using var response = await Send(api, new HttpRequestMessage(HttpMethod.Get, $"{_appPath}integrations/connections?toolkit={toolkit}&limit=1"));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK) throw new BenchException($"GET /connections answered {(int)response.StatusCode}: {body}");
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("total").GetInt32();
        }

        private static async Task<HttpResponseMessage> Send(HttpClient client, HttpRequestMessage request)
        {
            using (request)
            {
                try { return await client.SendAsync(request, HttpCompletionOption.ResponseContentRead); }
                catch (HttpRequestException e) { throw new BenchException($"{request.Method} {request.RequestUri} failed ({e.Message}); did the portal exit?"); }
            }
        }

        private static string Trim(string text) => text.Length > 300 ? text[..300] + "…" : text;
    }
}
