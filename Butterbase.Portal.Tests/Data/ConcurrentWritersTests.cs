using System.Net;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Data;

/// <summary>docs/security.md [27]: 200 concurrent writers on SQLite — no SQLITE_BUSY reaches a client, no write is lost.</summary>
public sealed class ConcurrentWritersTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new PortalApplication().With("Butterbase:RateLimit:PermitsPerApp", "100000");
    private TestApp _app = default!;

    public async Task InitializeAsync() => _app = await _portal.CreateAppAsync("Busy", "https://app.example.com/");
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Two_hundred_concurrent_writers_all_succeed_and_every_row_is_there()
    {
        var slugs = _portal.Services.GetRequiredService<ToolkitCatalog>().Toolkits.Where(t => !t.Curated).Take(200).Select(t => t.Slug).ToList();
        using var admin = _portal.Http(_app.ApiKey);
        var configures = slugs.Select(slug => admin.PostAsync($"v1/{_app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = slug })));
        var responses = await Task.WhenAll(configures);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        // A second wave that both writes (connection requests) and reads while the first settles.
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "sendgrid" })));
        var connects = Enumerable.Range(0, 200).Select(i => admin.PostAsync($"v1/{_app.Id}/integrations/connect",
            JsonAssert.Body(new { toolkit = "sendgrid", redirectUrl = "https://app.example.com/back", userId = $"writer-{i}" })));
        var second = await Task.WhenAll(connects);
        Assert.All(second, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        await using var scope = _portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
        Assert.Equal(201, await db.ToolkitConfigs.CountAsync(c => c.AppId == _app.Id));
        Assert.Equal(200, await db.ConnectionRequests.CountAsync(r => r.AppId == _app.Id));
    }
}
