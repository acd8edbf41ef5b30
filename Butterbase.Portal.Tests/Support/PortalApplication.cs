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
/// The portal on real Kestrel (loopback, port 0) with its own database, as a test's system under test: a SQLite file
/// in its folder, or, when the environment variable `BUTTERBASE_TEST_POSTGRES` holds a server's connection string (the
/// test command starts one), a PostgreSQL database named after that folder (so a second instance on the same folder
/// shares it, like a second portal process on one database). Settings are applied as configuration before start;
/// <see cref="Services"/> reaches the real services.
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
        // The provider stand-ins listen on loopback: tests opt in explicitly; the SSRF tests turn it off again.
        _settings["Butterbase:Outbound:AllowPrivateNetworks"] = "true";
        if (kestrel) UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
    }

    private readonly bool _ownsDirectory;
    public string Directory => _directory;

    public string DatabasePath => Path.Combine(_directory, "portal.db");

    /// <summary>The PostgreSQL server the tests run against, or null for SQLite.</summary>
    public static string? PostgresServer => Environment.GetEnvironmentVariable("BUTTERBASE_TEST_POSTGRES") is { Length: > 0 } cs ? cs : null;

    public static bool OnPostgres => PostgresServer is not null;

    private string DatabaseName => "bb_" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(_directory))))[..20].ToLowerInvariant();

    private string PostgresConnectionString => $"{PostgresServer};Database={DatabaseName}";

    /// <summary>The settings that point a portal process at this instance's database (for the CLI run as a child process).</summary>
    public IReadOnlyDictionary<string, string> DatabaseEnvironment => OnPostgres
        ? new Dictionary<string, string> { ["Butterbase__Database__Provider"] = "Postgres", ["ConnectionStrings__Postgres"] = PostgresConnectionString }
        : new Dictionary<string, string> { ["ConnectionStrings__Butterbase"] = $"Data Source={DatabasePath}" };

    private void EnsurePostgresDatabase()
    {
        using var admin = new Npgsql.NpgsqlConnection($"{PostgresServer};Database=postgres");
        admin.Open();
        using var exists = new Npgsql.NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", admin);
        exists.Parameters.AddWithValue("n", DatabaseName);
        if (exists.ExecuteScalar() is not null) return;
        using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", admin);
        create.ExecuteNonQuery();
    }

    /// <summary>Runs SQL on this instance's database, whichever the provider (e.g. to simulate lost data).</summary>
    public async Task ExecuteSqlAsync(string sql)
    {
        System.Data.Common.DbConnection connection = OnPostgres
            ? new Npgsql.NpgsqlConnection(PostgresConnectionString)
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath}");
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>Everything the database holds, as text: the SQLite file's bytes, or every row of every table on PostgreSQL. What a stolen dump would show.</summary>
    public async Task<string> DumpDatabaseAsync()
    {
        if (!OnPostgres)
        {
            await ExecuteSqlAsync("PRAGMA wal_checkpoint(TRUNCATE);"); // every committed byte into the main file
            var bytes = await File.ReadAllBytesAsync(DatabasePath);
            var wal = DatabasePath + "-wal";
            return System.Text.Encoding.Latin1.GetString(bytes) + (File.Exists(wal) ? System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(wal)) : "");
        }
        await using var connection = new Npgsql.NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new Npgsql.NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        var dump = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            await using var rows = new Npgsql.NpgsqlCommand($"SELECT t::text FROM \"{table}\" t", connection);
            await using var reader = await rows.ExecuteReaderAsync();
            while (await reader.ReadAsync()) dump.Append(table).Append(' ').AppendLine(reader.GetString(0));
        }
        return dump.ToString();
    }

    /// <summary>Leave the folder behind on dispose, for a second instance to start on it.</summary>
    public bool KeepDirectory { get; set; }

    public PortalApplication With(string key, string? value) { _settings[key] = value; return this; }

    public PortalApplication WithServices(Action<IServiceCollection> configure) { _services.Add(configure); return this; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseStaticWebAssets();
        if (OnPostgres)
        {
            EnsurePostgresDatabase();
            builder.UseSetting("Butterbase:Database:Provider", "Postgres");
            builder.UseSetting("ConnectionStrings:Postgres", PostgresConnectionString);
        }
        else builder.UseSetting("ConnectionStrings:Butterbase", $"Data Source={DatabasePath}");
        // Most tests run no function: their portals start worker processes only at the first invocation.
        builder.UseSetting("Butterbase:Functions:PrewarmAtStart", "false");
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
        if (OnPostgres && _ownsDirectory && !KeepDirectory)
        {
            await using var admin = new Npgsql.NpgsqlConnection($"{PostgresServer};Database=postgres");
            await admin.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        if (_ownsDirectory && !KeepDirectory)
            try { System.IO.Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

public sealed record TestApp(string Id, string ApiKey, string KeyId);
