using System.Diagnostics;
using Butterbase.Bench.Infrastructure;
using Microsoft.Playwright;

namespace Butterbase.Bench.Suites;

/// <summary>
/// `toolkit-page` (issue 14): how fast a person can use the GitHub toolkit page now that GitHub is its whole API
/// (1,200+ tools). A real Debian Chromium (Playwright) against the real portal process: sign up, create an app, then
/// open `/apps/{app}/catalog/github` in fresh tabs of the signed-in context. Per run: time to the first tool rows
/// (server-prerendered HTML), time to interactive (the Blazor circuit is up: the layout's `circuit-ready` marker), and
/// the time a search-as-you-type takes to show its matches; plus the size of the page's HTML document.
/// </summary>
public sealed class ToolkitPageSuite : ISuite
{
    public string Verb => "toolkit-page";
    public string Description => "the GitHub toolkit page in Chromium: first rows, interactive, search (options: --runs 7 --toolkit github --development --portal-dll PATH)";

    public async Task<int> RunAsync(BenchOptions options, ChildProcesses children)
    {
        var runs = options.Int("runs", 7);
        var toolkit = options.String("toolkit") ?? "github";
        // As deployed by default: the portal published (wwwroot with its fingerprinted, precompressed assets) and run in
        // Production. --development runs the build output in Development instead (the only way a build output serves the
        // Blazor script and MudBlazor's assets), as this suite did until 2026-12-02: it adds Development's logging (every
        // EF command at Information) and no-cache static files to every page load.
        var development = options.Flag("development");
        var given = options.String("portal-dll");
        options.RejectUnknown();
        var published = development || given is not null ? null : Publish();
        var portalDll = PortalHost.ResolvePortalDll(given ?? (published is null ? null : Path.Combine(published, "Butterbase.Portal.dll")));

        Console.WriteLine("# Butterbase toolkit page benchmark");
        Console.WriteLine();
        MachineFacts.Print(Console.Out);

        Console.WriteLine(development ? "Portal: build output, Development." : $"Portal: {(given is null ? "published" : given)}, Production.");
        Console.WriteLine();
        using var cleanup = new PublishedFolder(published);
        using var portal = new PortalHost(children, portalDll);
        if (development)
        {
            portal.ExtraEnvironment["ASPNETCORE_ENVIRONMENT"] = "Development";
            portal.ExtraEnvironment["DOTNET_ENVIRONMENT"] = "Development";
        }
        await portal.CreateAppAsync("bench-migrate"); // migrates the scratch database before the server starts
        await portal.StartAsync(TimeSpan.FromSeconds(60));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-dev-shm-usage"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress!.ToString(), ViewportSize = new() { Width = 1440, Height = 900 } });
        var setup = await context.NewPageAsync();
        setup.SetDefaultTimeout(60_000);
        await setup.GotoAsync("account/signup");
        await setup.FillAsync("#email", "bench@example.com");
        await setup.FillAsync("#password", "correct horse battery");
        await setup.FillAsync("#confirm", "correct horse battery");
        await setup.ClickAsync("button[type=submit]");
        try { await CircuitAsync(setup); }
        catch (TimeoutException)
        {
            await setup.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Path.GetTempPath(), "toolkit-page-signup.png") });
            throw new BenchException($"sign-up did not reach the interactive portal (at {setup.Url}; screenshot in the temp folder)");
        }
        await setup.ClickAsync("[data-testid=create-app]");
        await setup.FillAsync("input[data-testid=app-name]", "Bench");
        await setup.ClickAsync("[data-testid=create-app-submit]");
        await setup.WaitForURLAsync("**/apps/app_*");
        var appId = setup.Url.Split('/').Last();
        await setup.CloseAsync();
        Console.Error.WriteLine($"signed up, app {appId}; {runs} runs of /apps/{appId}/catalog/{toolkit} (+1 warm-up)");

        List<double> rows = [], interactive = [], search = [];
        long html = 0;
        string toolCount = "";
        for (var run = 0; run <= runs; run++)
        {
            var page = await context.NewPageAsync();
            page.SetDefaultTimeout(60_000);
            var started = Stopwatch.GetTimestamp();
            var response = await page.GotoAsync($"apps/{appId}/catalog/{toolkit}", new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            await page.Locator("[data-testid=tool-panel]").First.WaitForAsync();
            var firstRows = Samples.MsSince(started);
            await CircuitAsync(page);
            var ready = Samples.MsSince(started);
            var before = await page.Locator("[data-testid=tool-count]").InnerTextAsync();
            var typed = Stopwatch.GetTimestamp();
            await page.FillAsync("input[data-testid=tool-filter]", "create issue");
            await page.Locator("[data-testid=tool-matches]").WaitForAsync();
            await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=tool-panel]').length > 0 && document.querySelector('[data-testid=tool-matches]')");
            var searched = Samples.MsSince(typed);
            if (run > 0) { rows.Add(firstRows); interactive.Add(ready); search.Add(searched); }
            if (run == runs)
            {
                html = response is null ? 0 : (await response.BodyAsync()).Length;
                toolCount = before;
            }
            await page.CloseAsync();
            Console.Error.WriteLine($"  run {run}{(run == 0 ? " (warm-up)" : "")}: rows {firstRows:0} ms, interactive {ready:0} ms, search {searched:0} ms");
        }

        var table = new ResultTable();
        table.Info("Toolkit", $"{toolkit}: {toolCount}");
        table.Info("HTML document of the page", $"{html / 1024.0:0.0} KB");
        table.Info($"First tool rows visible (prerendered), median of {runs}", $"{ResultTable.Ms(Median.Of(rows))} (min {ResultTable.Ms(rows.Min())}, max {ResultTable.Ms(rows.Max())})");
        table.Add($"Interactive (Blazor circuit up), median of {runs}", $"{ResultTable.Ms(Median.Of(interactive))} (min {ResultTable.Ms(interactive.Min())}, max {ResultTable.Ms(interactive.Max())})", "< 1.5 s", Median.Of(interactive) < 1500);
        table.Info($"Search as you type (\"create issue\") until matches show, median of {runs}", $"{ResultTable.Ms(Median.Of(search))} (max {ResultTable.Ms(search.Max())})");
        table.Print(Console.Out);
        return table.AllPassed ? 0 : 1;
    }

    /// <summary>`dotnet publish -c Release` of the portal next to the build output this bench was built with, into a temp folder.</summary>
    private static string Publish()
    {
        var project = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(PortalHost.ResolvePortalDll(null))!, "..", "..", "..", "Butterbase.Portal.csproj"));
        var output = Path.Combine(Path.GetTempPath(), "butterbase-bench-published-" + Guid.NewGuid().ToString("N")[..8]);
        Console.Error.WriteLine($"publishing {project} to {output}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", project, "-c", "Release", "-o", output, "-v", "q", "-nologo" }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new BenchException($"dotnet publish failed ({process.ExitCode}):{Environment.NewLine}{stdout.Result}{stderr.Result}");
        return output;
    }

    private sealed class PublishedFolder(string? path) : IDisposable
    {
        public void Dispose()
        {
            if (path is not null && Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
    }

    private static Task CircuitAsync(IPage page) =>
        page.Locator("[data-testid=circuit-ready]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
}
