using System.Net;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Apps;

public sealed class SettingsApiTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new();
    private TestApp _app = default!;

    public async Task InitializeAsync() => _app = await _portal.CreateAppAsync("Acme", "https://acme.example.com/settings");
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Patch_changes_only_the_fields_sent_and_get_reads_them_back()
    {
        using var client = _portal.Http(_app.ApiKey);
        var patched = await JsonAssert.OkAsync(await client.PatchAsync($"v1/{_app.Id}/settings", JsonAssert.Body(new
        {
            allowed_redirect_urls = new[] { "https://acme.example.com/settings", "http://localhost:3000/done" },
            unknown_field = "ignored",
        })));
        Assert.Equal("Acme", patched.GetProperty("name").GetString());
        Assert.Equal(2, patched.GetProperty("allowed_redirect_urls").GetArrayLength());

        await JsonAssert.OkAsync(await client.PatchAsync($"v1/{_app.Id}/settings", JsonAssert.Body(new
        {
            name = "Acme Inc",
            jwt = new { issuer = "https://idp.example.com/", jwks_url = "https://idp.example.com/.well-known/jwks.json", audience = "acme-api" },
        })));
        var read = await JsonAssert.OkAsync(await client.GetAsync($"v1/{_app.Id}/settings"));
        Assert.Equal("Acme Inc", read.GetProperty("name").GetString());
        Assert.Equal("http://localhost:3000/done", read.GetProperty("allowed_redirect_urls")[1].GetString());
        Assert.Equal("acme-api", read.GetProperty("jwt").GetProperty("audience").GetString());
        Assert.Equal("https://idp.example.com/.well-known/jwks.json", read.GetProperty("jwt").GetProperty("jwks_url").GetString());

        var cleared = await JsonAssert.OkAsync(await client.PatchAsync($"v1/{_app.Id}/settings", JsonAssert.Raw("{\"jwt\": null}")));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("jwt").ValueKind);
        Assert.Equal("Acme Inc", cleared.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("{\"name\": 5}", "name")]
    [InlineData("{\"allowed_redirect_urls\": \"https://a.example.com\"}", "allowed_redirect_urls")]
    [InlineData("{\"jwt\": \"yes\"}", "jwt")]
    public async Task Wrong_types_are_422_naming_the_field(string json, string field)
    {
        using var client = _portal.Http(_app.ApiKey);
        var body = await JsonAssert.ErrorAsync(await client.PatchAsync($"v1/{_app.Id}/settings", JsonAssert.Raw(json)), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal(field, body.GetProperty("details")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task User_token_is_minted_for_the_app_with_the_asked_lifetime()
    {
        using var client = _portal.Http(_app.ApiKey);
        var token = await JsonAssert.OkAsync(await client.PostAsync($"v1/{_app.Id}/auth/user-token", JsonAssert.Body(new { userId = "u_123", expiresIn = 600 })));
        Assert.Equal("Bearer", token.GetProperty("token_type").GetString());
        Assert.Equal(600, token.GetProperty("expires_in").GetInt32());
        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token.GetProperty("access_token").GetString());
        Assert.Equal("u_123", jwt.Subject);
        Assert.Equal(_app.Id, jwt.Audiences.Single());
        Assert.Equal("HS256", jwt.Alg);
        Assert.InRange((jwt.ValidTo - DateTime.UtcNow).TotalSeconds, 590, 610);
    }

    [Theory]
    [InlineData("{\"userId\": \"\"}", "userId")]
    [InlineData("{\"userId\": \"u 1\"}", "userId")]
    [InlineData("{\"userId\": \"u_1\", \"expiresIn\": 5}", "expiresIn")]
    [InlineData("{\"userId\": \"u_1\", \"expiresIn\": 999999}", "expiresIn")]
    public async Task User_token_rejects_bad_input_with_details(string json, string field)
    {
        using var client = _portal.Http(_app.ApiKey);
        var body = await JsonAssert.ErrorAsync(await client.PostAsync($"v1/{_app.Id}/auth/user-token", JsonAssert.Raw(json)), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Contains(body.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == field);
    }
}
