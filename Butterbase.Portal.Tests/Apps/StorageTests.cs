using System.Net;
using System.Text;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Apps;

/// <summary>docs/security.md [21], [23]: a copy of the database gives an attacker no usable API key or token key.</summary>
public sealed class StorageTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new();
    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task A_database_dump_holds_no_usable_api_key()
    {
        var app = await _portal.CreateAppAsync("Dumped");
        using var client = _portal.Http(app.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"v1/{app.Id}/settings")).StatusCode);

        // Read everything the database holds, as an attacker with a dump would.
        var text = await _portal.DumpDatabaseAsync();
        var secretPart = app.ApiKey[14..];
        Assert.DoesNotContain(app.ApiKey, text);
        Assert.DoesNotContain(secretPart, text);
        Assert.DoesNotContain(secretPart[..16], text);

        // What the dump does hold (prefix and hash) does not authenticate.
        string prefix, hashHex;
        await using (var scope = _portal.Services.CreateAsyncScope())
        {
            var row = await scope.ServiceProvider.GetRequiredService<PortalDb>().ApiKeys.SingleAsync(k => k.AppId == app.Id);
            prefix = row.Prefix;
            hashHex = Convert.ToHexString(row.Hash);
        }
        Assert.Contains(prefix, text);
        foreach (var attempt in new[] { prefix, prefix + hashHex[..40], hashHex, prefix + Convert.ToBase64String(Convert.FromHexString(hashHex))[..40] })
        {
            using var attacker = _portal.Http(attempt);
            Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetAsync($"v1/{app.Id}/settings")).StatusCode);
        }
    }

    [Fact]
    public async Task User_token_signing_keys_are_encrypted_at_rest()
    {
        var app = await _portal.CreateAppAsync("Keys");
        var entity = await _portal.Services.GetRequiredService<Butterbase.Portal.Apps.AppRegistry>().FindAsync(app.Id);
        var key = _portal.Services.GetRequiredService<Butterbase.Portal.Apps.UserTokens>().SigningKey(entity!).Key;
        var text = await _portal.DumpDatabaseAsync();
        Assert.DoesNotContain(Convert.ToBase64String(key), text);
        Assert.DoesNotContain(Encoding.Latin1.GetString(key), text);
        Assert.NotEqual(Convert.ToBase64String(key), entity!.UserTokenKey);
    }
}
