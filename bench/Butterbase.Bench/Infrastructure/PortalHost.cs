using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;

namespace Butterbase.Bench.Infrastructure;

/// <summary>
/// The real portal as a separate process: `dotnet Butterbase.Portal.dll` from the portal's own build output (same
/// configuration as the bench), Production environment, a scratch SQLite database, loopback on a free port.
/// Shared by every suite that talks HTTP to the portal.
/// </summary>
public sealed class PortalHost : IDisposable
{
    private readonly ChildProcesses _children;
    private readonly string _portalDll;
    private readonly DirectoryInfo _scratch;
    private Child? _server;

    public string ConnectionString { get; }
    public Uri? BaseAddress { get; private set; }

    /// <summary>
    /// More environment variables for every portal process started after they are set (`apps create` and the server),
    /// e.g. `Butterbase__Toolkits__asana__TokenUrl` to point a toolkit at a stand-in provider. They win over the defaults.
    /// </summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>`K=V,K=V` (an option's text) as environment variables for the portal process only, not the bench or the relay.</summary>
    public static IReadOnlyList<(string Key, string Value)> ParseEnvironment(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2) is [var k, var v] && k.Length > 0 ? (k, v) : throw new BenchException($"--portal-env wants K=V pairs, got '{pair}'"))
            .ToList();

    /// <summary>Points <paramref name="toolkit"/> at the stand-in provider (OAuth endpoints, client) and its API.</summary>
    public PortalHost UseStandIns(FakeOAuthProvider provider, FakeProviderApi api, string toolkit)
    {
        foreach (var (key, value) in provider.PortalEnvironment(toolkit)) ExtraEnvironment[key] = value;
        ExtraEnvironment[$"Butterbase__Toolkits__{toolkit}__ApiBaseUrl"] = api.BaseAddress.ToString().TrimEnd('/');
        ExtraEnvironment["Butterbase__RateLimit__PermitsPerApp"] = "100000000";
        return this;
    }

    public PortalHost(ChildProcesses children, string? portalDll = null)
    {
        _children = children;
        _portalDll = ResolvePortalDll(portalDll);
        _scratch = Directory.CreateTempSubdirectory("butterbase-bench-");
        ConnectionString = $"Data Source={Path.Combine(_scratch.FullName, "portal.db")}";
    }

    public string PortalDll => _portalDll;

    /// <summary>The portal build's garbage collector, from its runtimeconfig.json ("server GC" or "workstation GC").</summary>
    public string GcMode
    {
        get
        {
            var config = Path.ChangeExtension(_portalDll, ".runtimeconfig.json");
            using var json = JsonDocument.Parse(File.ReadAllText(config));
            var server = json.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var properties)
                && properties.TryGetProperty("System.GC.Server", out var value) && value.GetBoolean();
            return server ? "server GC" : "workstation GC";
        }
    }

    /// <summary>The running server process (null when stopped): for suites that sample its memory or CPU time.</summary>
    public Process? ServerProcess => _server?.Process;

    /// <summary>The scratch folder holding the portal's database (deleted with this host): same disk for baselines.</summary>
    public string ScratchDirectory => _scratch.FullName;

    /// <summary>The portal assembly to start: the given path, else the portal's build output for this configuration.</summary>
    public static string ResolvePortalDll(string? portalDll)
    {
        var path = Path.GetFullPath(portalDll ?? DefaultPortalDll());
        return File.Exists(path)
            ? path
            : throw new BenchException($"the portal build output {path} is missing; build it (dotnet build -c Release Butterbase.Portal) or pass --portal-dll");
    }

    private static string DefaultPortalDll()
    {
        var dir = typeof(PortalHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "PortalOutputDir")?.Value
            ?? throw new BenchException("the bench was built without the PortalOutputDir metadata; pass --portal-dll");
        return Path.Combine(dir, "Butterbase.Portal.dll");
    }

    private ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo(ChildProcesses.DotnetHost)
        {
            // The content root (wwwroot, static asset manifests, appsettings.json) is the portal's output folder.
            WorkingDirectory = Path.GetDirectoryName(_portalDll)!,
        };
        info.ArgumentList.Add(_portalDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ConnectionStrings__Butterbase"] = ConnectionString;
        info.Environment["Butterbase__RateLimit__PermitsPerApp"] = "1000000";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in ExtraEnvironment) info.Environment[key] = value;
        return info;
    }

    /// <summary>`apps create --name NAME` against the scratch database (migrating it): the app id and a fresh API key.</summary>
    public async Task<(string AppId, string ApiKey)> CreateAppAsync(string name)
    {
        var child = _children.Start(StartInfo("apps", "create", "--name", name));
        var code = await child.WaitAsync(TimeSpan.FromSeconds(60));
        var last = child.StandardOutput.LastOrDefault(l => l.TrimStart().StartsWith('{'));
        if (code != 0 || last is null)
            throw new BenchException($"`apps create` exited with {code}; its last output:{Environment.NewLine}{child.Tail}");
        using var json = JsonDocument.Parse(last);
        return (json.RootElement.GetProperty("appId").GetString()!, json.RootElement.GetProperty("apiKey").GetString()!);
    }

    /// <summary>Starts the server and waits for `/healthz` to answer 200: the time from process start to that answer.</summary>
    /// <summary>A keep-alive client for the started portal's API with <paramref name="apiKey"/> (no proxy, no redirects, 256 connections).</summary>
    public HttpClient ApiClient(string apiKey)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 256 })
        {
            BaseAddress = BaseAddress ?? throw new BenchException("start the portal first"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        return http;
    }

    public async Task<double> StartAsync(TimeSpan timeout)
    {
        if (_server is not null) throw new InvalidOperationException("the portal is already running");
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        var info = StartInfo();
        info.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/');
        // Production needs its public origin from configuration; the stand-ins live on loopback, which the outbound policy
        // refuses unless the operator allows private networks.
        info.Environment["Butterbase__PublicBaseUrl"] = BaseAddress.ToString().TrimEnd('/');
        info.Environment["Butterbase__Outbound__AllowPrivateNetworks"] = "true";

        using var probe = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, UseProxy = false })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(2),
        };
        var started = Stopwatch.GetTimestamp();
        _server = _children.Start(info);
        while (true)
        {
            if (_server.Process.HasExited)
                throw new BenchException($"the portal exited with {_server.Process.ExitCode} before /healthz answered; its last output:{Environment.NewLine}{_server.Tail}");
            try
            {
                using var response = await probe.GetAsync("healthz");
                if (response.StatusCode == HttpStatusCode.OK) return Samples.MsSince(started);
            }
            catch (HttpRequestException) { } // not listening yet
            catch (TaskCanceledException) { } // listening, but not answering within the probe timeout
            if (Stopwatch.GetElapsedTime(started) > timeout)
                throw new BenchException($"/healthz did not answer 200 within {timeout.TotalSeconds:0} s; the portal's last output:{Environment.NewLine}{_server.Tail}");
            await Task.Delay(10);
        }
    }

    public void Stop()
    {
        _server?.Dispose();
        _server = null;
        BaseAddress = null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Stop();
        try { _scratch.Delete(recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
