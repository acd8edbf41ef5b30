using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

// One browser flow at a time: three portals and three Chromiums cold-starting together on 2 cores made the first
// navigation of a flow miss its timeout now and then.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace Butterbase.E2E;

/// <summary>
/// The real portal on Kestrel (loopback, random port) with a fresh SQLite file — or, when `BUTTERBASE_TEST_POSTGRES`
/// holds a server's connection string (scripts/test.sh sets it for its PostgreSQL pass), a fresh PostgreSQL database
/// dropped afterwards — plus a headless Debian Chromium.
/// </summary>
public sealed class PortalServer : WebApplicationFactory<Program>, IAsyncLifetime
{
    private static readonly string? PostgresServer = Environment.GetEnvironmentVariable("BUTTERBASE_TEST_POSTGRES") is { Length: > 0 } cs ? cs : null;
    private readonly string _directory = Directory.CreateTempSubdirectory("bb-e2e-").FullName;
    private readonly string _database = "e2e_" + Guid.NewGuid().ToString("N")[..12];
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = default!;
    public Uri Address { get; private set; } = default!;

    public PortalServer() => UseKestrel(k => k.Listen(IPAddress.Loopback, 0));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseStaticWebAssets();
        if (PostgresServer is null) builder.UseSetting("ConnectionStrings:Butterbase", $"Data Source={Path.Combine(_directory, "portal.db")}");
        else
        {
            using (var admin = new Npgsql.NpgsqlConnection($"{PostgresServer};Database=postgres"))
            {
                admin.Open();
                using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{_database}\"", admin);
                create.ExecuteNonQuery();
            }
            builder.UseSetting("Butterbase:Database:Provider", "Postgres");
            builder.UseSetting("ConnectionStrings:Postgres", $"{PostgresServer};Database={_database}");
        }
        builder.UseSetting("Butterbase:Sandbox:Enabled", "true");
        // Each flow's first sign-up makes the first account; later people join through invite links (TenantIsolationFlowTests).
        builder.UseSetting("Butterbase:Accounts:SignUp", "invite");
        builder.UseSetting("Butterbase:Outbound:AllowPrivateNetworks", "true"); // stand-ins on loopback
    }

    public async Task InitializeAsync()
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(address + "/");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>A page in a browser context of its own (its own cookies: one signed-in person).</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Address.ToString(), ViewportSize = new() { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        return page;
    }

    /// <summary>Screenshots land in artifacts/screenshots at the repository root, for people to look at.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Butterbase.Portal.sln"))) dir = Path.GetDirectoryName(dir);
        var target = Path.Combine(dir ?? Path.GetTempPath(), "artifacts", "screenshots");
        Directory.CreateDirectory(target);
        // Transitions (the drawer closing after a resize to phone width) are finished, not caught half-way.
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(target, name + ".png"), FullPage = true, Animations = ScreenshotAnimations.Disabled });
    }

    /// <summary>Blazor renders the marker only once the circuit is interactive: typing before that is lost.</summary>
    public static Task WaitForCircuitAsync(IPage page) =>
        page.Locator("[data-testid=circuit-ready]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });

    /// <summary>Signs a new developer up through the real form and waits for the interactive portal.</summary>
    public static async Task SignUpAsync(IPage page, string email, string path = "/account/signup")
    {
        await page.GotoAsync(path);
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", "correct horse battery");
        await page.FillAsync("#confirm", "correct horse battery");
        await page.ClickAsync("button[type=submit]");
        await WaitForCircuitAsync(page);
    }

    /// <summary>Creates an app from the Apps page's dialog and returns its id once its page is open.</summary>
    public static async Task<string> CreateAppAsync(IPage page, string name)
    {
        await page.ClickAsync("[data-testid=create-app]");
        await page.FillAsync("input[data-testid=app-name]", name);
        await Assertions.Expect(page.Locator("input[data-testid=app-name]")).ToHaveValueAsync(name);
        await ScreenshotAsync(page, "03-create-app-dialog");
        await page.ClickAsync("[data-testid=create-app-submit]");
        await page.WaitForURLAsync("**/apps/app_*", new PageWaitForURLOptions { Timeout = 30_000 });
        return page.Url.Split('/').Last();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        await DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (PostgresServer is not null)
        {
            await using var admin = new Npgsql.NpgsqlConnection($"{PostgresServer};Database=postgres");
            await admin.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}
