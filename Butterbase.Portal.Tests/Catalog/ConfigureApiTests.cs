using System.Net;
using System.Text;
using System.Text.Json;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Catalog;

/// <summary>`/configure` exactly as docs/api.md "Toolkit configuration": idempotent upsert, disable keeps the row, secrets write-only.</summary>
public sealed class ConfigureApiTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new();
    private TestApp _app = default!;
    private string Base => $"v1/{_app.Id}/integrations";

    public async Task InitializeAsync() => _app = await _portal.CreateAppAsync();
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Configure_enables_with_defaults_then_updates_in_place_and_disable_keeps_the_row()
    {
        using var client = _portal.Http(_app.ApiKey);
        var first = await JsonAssert.OkAsync(await client.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "gmail" })));
        Assert.Equal(_app.Id, first.GetProperty("app_id").GetString());
        Assert.Equal("gmail", first.GetProperty("toolkit_slug").GetString());
        Assert.True(first.GetProperty("enabled").GetBoolean());
        Assert.Equal("Gmail", first.GetProperty("display_name").GetString());
        Assert.Equal(0, first.GetProperty("scopes").GetArrayLength());
        Assert.Equal("oauth2", first.GetProperty("auth_scheme").GetString());
        Assert.Equal("managed", first.GetProperty("credentials").GetString());
        Assert.True(Guid.TryParse(first.GetProperty("id").GetString(), out _));
        Assert.True(first.TryGetProperty("created_at", out _) && first.TryGetProperty("updated_at", out _));

        var available = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available?search=gmail&limit=1"));
        Assert.True(available.GetProperty("items")[0].GetProperty("enabled").GetBoolean());

        var disabled = await JsonAssert.OkAsync(await client.DeleteAsync($"{Base}/configure/gmail"));
        Assert.False(disabled.GetProperty("enabled").GetBoolean());
        Assert.Equal(first.GetProperty("id").GetString(), disabled.GetProperty("id").GetString());
        Assert.False((await JsonAssert.OkAsync(await client.GetAsync($"{Base}/available/gmail"))).GetProperty("enabled").GetBoolean());

        var again = await JsonAssert.OkAsync(await client.PostAsync($"{Base}/configure", JsonAssert.Body(new
        {
            toolkit = "gmail", displayName = "Mail", scopes = new[] { "https://www.googleapis.com/auth/gmail.send" },
        })));
        Assert.Equal(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        Assert.True(again.GetProperty("enabled").GetBoolean());
        Assert.Equal("Mail", again.GetProperty("display_name").GetString());
        Assert.Equal("https://www.googleapis.com/auth/gmail.send", again.GetProperty("scopes")[0].GetString());

        var list = await JsonAssert.OkAsync(await client.GetAsync($"{Base}/configure"));
        Assert.Single(list.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Custom_client_secrets_are_write_only_and_encrypted_at_rest()
    {
        const string secret = "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";
        using var client = _portal.Http(_app.ApiKey);
        var row = await client.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "github", credentials = new { clientId = "Iv1.abc", clientSecret = secret } }));
        var text = await row.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, row.StatusCode);
        Assert.Equal("custom", JsonDocument.Parse(text).RootElement.GetProperty("credentials").GetString());
        Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain(secret, await client.GetStringAsync($"{Base}/configure"));

        Assert.DoesNotContain(secret, await _portal.DumpDatabaseAsync());

        var configs = _portal.Services.GetRequiredService<Butterbase.Portal.Toolkits.ToolkitConfigs>();
        var stored = (await configs.ListAsync(_app.Id)).Single();
        Assert.Equal(secret, configs.ClientSecretOf(stored));
    }

    [Fact]
    public async Task Bad_requests_get_clear_errors_and_change_nothing()
    {
        using var client = _portal.Http(_app.ApiKey);
        await JsonAssert.ErrorAsync(await client.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "no-such" })), HttpStatusCode.NotFound, "unknown_toolkit");
        var missing = await JsonAssert.ErrorAsync(await client.PostAsync($"{Base}/configure", JsonAssert.Body(new { })), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal("toolkit", missing.GetProperty("details")[0].GetProperty("field").GetString());
        var scheme = await JsonAssert.ErrorAsync(await client.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "gmail", authScheme = "basic" })), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal("authScheme", scheme.GetProperty("details")[0].GetProperty("field").GetString());
        var creds = await JsonAssert.ErrorAsync(await client.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "gmail", credentials = new { clientId = "x" } })), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal("credentials.clientSecret", creds.GetProperty("details")[0].GetProperty("field").GetString());
        await JsonAssert.ErrorAsync(await client.DeleteAsync($"{Base}/configure/slack"), HttpStatusCode.NotFound, "toolkit_not_configured");
        Assert.Equal(0, (await JsonAssert.OkAsync(await client.GetAsync($"{Base}/configure"))).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task End_users_can_read_the_configuration_but_not_change_it()
    {
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "slack" })));
        using var user = _portal.Http(await _portal.UserTokenAsync(_app, "u_1"));
        var list = await JsonAssert.OkAsync(await user.GetAsync($"{Base}/configure"));
        Assert.Equal("slack", list.GetProperty("items")[0].GetProperty("toolkit_slug").GetString());
        await JsonAssert.ErrorAsync(await user.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "gmail" })), HttpStatusCode.Forbidden, "forbidden");
        await JsonAssert.ErrorAsync(await user.DeleteAsync($"{Base}/configure/slack"), HttpStatusCode.Forbidden, "forbidden");

        var other = await _portal.CreateAppAsync("Other");
        using var otherKey = _portal.Http(other.ApiKey);
        await JsonAssert.ErrorAsync(await otherKey.DeleteAsync($"{Base}/configure/slack"), HttpStatusCode.Forbidden, "forbidden");
        Assert.True((await JsonAssert.OkAsync(await admin.GetAsync($"{Base}/configure"))).GetProperty("items")[0].GetProperty("enabled").GetBoolean());
    }
}
