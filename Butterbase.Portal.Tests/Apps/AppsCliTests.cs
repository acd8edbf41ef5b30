using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Apps;

/// <summary>`apps create` as a script runs it: the real executable, the server's database, one JSON line out.</summary>
public sealed class AppsCliTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new();
    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        _ = _portal.Address; // the server has created and migrated its database
        var dll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in _portal.DatabaseEnvironment) start.Environment[key] = value;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Apps_create_prints_one_json_line_with_a_working_key()
    {
        var (code, stdout, stderr) = await RunCliAsync("apps", "create", "--name", "demo", "--allowed-redirect-url", "https://yourapp.com/settings");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        var json = JsonDocument.Parse(lines[0]).RootElement;
        var appId = json.GetProperty("appId").GetString()!;
        var apiKey = json.GetProperty("apiKey").GetString()!;
        Assert.Matches("^app_[a-z0-9]{10,24}$", appId);
        Assert.StartsWith("bb_sk_", apiKey);

        using var client = _portal.Http(apiKey);
        var settings = await JsonAssert.OkAsync(await client.GetAsync($"v1/{appId}/settings"));
        Assert.Equal("demo", settings.GetProperty("name").GetString());
        Assert.Equal("https://yourapp.com/settings", settings.GetProperty("allowed_redirect_urls")[0].GetString());
    }

    [Fact]
    public async Task Bad_arguments_exit_non_zero_with_a_message_and_create_nothing()
    {
        var (code, stdout, stderr) = await RunCliAsync("apps", "create", "--name", "x", "--allowed-redirect-url", "javascript:alert(1)");
        Assert.NotEqual(0, code);
        Assert.Equal("", stdout.Trim());
        Assert.Contains("allowed_redirect_urls", stderr);

        (code, _, stderr) = await RunCliAsync("apps", "create");
        Assert.NotEqual(0, code);
        Assert.Contains("name", stderr);

        (code, _, stderr) = await RunCliAsync("apps", "delete");
        Assert.NotEqual(0, code);
        Assert.Contains("usage", stderr);
    }
}
