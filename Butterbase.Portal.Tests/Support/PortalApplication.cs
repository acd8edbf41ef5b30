using System.Net;
using System.Net.Http.Headers;
using Butterbase.Portal.Apps;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Support;

/// <summary>
/// The portal on real Kestrel (loopback, port 0) with its own SQLite file, as a test's system under test.
/// Settings are applied as configuration before start; <see cref="Services"/> reaches the real services.
/// </summary>
public sealed class PortalApplication : WebApplicationFactory<Program>
{
    private readonly string _directory;
    private readonly Dictionary<string, string?> _settings = new();
    private readonly List<Action<IServiceCollection>> _services = [];
    private Uri? _address;

    /// <param name="directory">Reuse another instance's folder (and so its database), e.g. to restart "the same" portal.</param>
    public PortalApplication(bool kestrel = true, string? directory = null)
    {
        _directory = directory ?? System.IO.Directory.CreateTempSubdirectory("bb-portal-test-").FullName;
        _ownsDirectory = directory is null;
        if (kestrel) UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
    }

    private readonly bool _ownsDirectory;
    public string Directory => _directory;

    public string DatabasePath => Path.Combine(_directory, "portal.db");

    /// <summary>Leave the folder behind on dispose, for a second instance to start on it.</summary>
    public bool KeepDirectory { get; set; }

    public PortalApplication With(string key, string? value) { _settings[key] = value; return this; }

    public PortalApplication WithServices(Action<IServiceCollection> configure) { _services.Add(configure); return this; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseStaticWebAssets();
        builder.UseSetting("ConnectionStrings:Butterbase", $"Data Source={DatabasePath}");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureServices(services => { foreach (var configure in _services) configure(services); });
    }

    /// <summary>The base address of the running Kestrel server.</summary>
    public Uri Address
    {
        get
        {
            if (_address is not null) return _address;
            StartServer();
            var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
            return _address = new Uri(addresses.Addresses.First().Replace("[::]", "127.0.0.1") + "/");
        }
    }

    /// <summary>A plain HTTP client to the server, optionally with a bearer credential.</summary>
    public HttpClient Http(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>Creates an app with one API key, the way the CLI does.</summary>
    public async Task<TestApp> CreateAppAsync(string name = "Test app", params string[] redirectUrls)
    {
        _ = Address;
        var app = await Services.GetRequiredService<AppRegistry>().CreateAsync(name, null, redirectUrls);
        var (key, plaintext) = await Services.GetRequiredService<ApiKeys>().CreateAsync(app.Id, "test");
        return new TestApp(app.Id, plaintext, key.Id);
    }

    public async Task<string> UserTokenAsync(TestApp app, string userId, TimeSpan? lifetime = null)
    {
        var registry = Services.GetRequiredService<AppRegistry>();
        var entity = await registry.FindAsync(app.Id) ?? throw new InvalidOperationException("no app");
        return Services.GetRequiredService<UserTokens>().Mint(entity, userId, lifetime ?? TimeSpan.FromHours(1));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownsDirectory && !KeepDirectory)
            try { System.IO.Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

public sealed record TestApp(string Id, string ApiKey, string KeyId);
