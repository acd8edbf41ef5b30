using System.Text.Json;
using Butterbase.Portal.Data;

namespace Butterbase.Portal.Apps;

/// <summary>
/// `dotnet run --project Butterbase.Portal -- apps create --name demo [--allowed-redirect-url URL]...`
/// prints `{"appId":"app_…","apiKey":"bb_sk_…"}` on one line, using the server's database and configuration.
/// </summary>
public static class AppsCli
{
    public static bool IsCli(string[] args) => args is ["apps", ..];

    public static async Task<int> RunAsync(WebApplication host, string[] args)
    {
        if (args is not ["apps", "create", .. var rest])
            return Fail("usage: apps create --name NAME [--allowed-redirect-url URL]...");

        string? name = null;
        var urls = new List<string>();
        for (var i = 0; i < rest.Length; i++)
        {
            switch (rest[i])
            {
                case "--name" when i + 1 < rest.Length: name = rest[++i]; break;
                case "--allowed-redirect-url" when i + 1 < rest.Length: urls.Add(rest[++i]); break;
                default: return Fail($"unknown or incomplete option '{rest[i]}'. usage: apps create --name NAME [--allowed-redirect-url URL]...");
            }
        }

        var settings = new AppSettings(name ?? "", urls, null);
        var validation = new AppSettingsValidator().Validate(settings);
        if (!validation.IsValid)
            return Fail(string.Join("; ", validation.Errors.Select(e => $"{e.PropertyName}: {e.ErrorMessage}")));

        await host.Services.MigrateDatabaseAsync();
        var app = await host.Services.GetRequiredService<AppRegistry>().CreateAsync(settings.Name, null, urls);
        var (_, apiKey) = await host.Services.GetRequiredService<ApiKeys>().CreateAsync(app.Id, "cli");
        Console.Out.WriteLine(JsonSerializer.Serialize(new { appId = app.Id, apiKey }));
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("error: " + message);
        return 2;
    }
}
