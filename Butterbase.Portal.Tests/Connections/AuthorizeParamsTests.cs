using System.Net;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.WebUtilities;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>
/// Issue 13 §9: extra authorize parameters are data — the catalog's (Google: access_type=offline, prompt=consent), the
/// operator's (`Butterbase:Toolkits:{slug}:AuthorizeParams:*`) and the app's toolkit settings, each over the last; an
/// empty value removes one. Some strict servers drop offline_access without prompt=consent.
/// </summary>
public sealed class AuthorizeParamsTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new PortalApplication()
        .With("Butterbase:Toolkits:gmail:ClientId", "gmail-client").With("Butterbase:Toolkits:gmail:ClientSecret", "gmail-secret")
        .With("Butterbase:Toolkits:asana:ClientId", "asana-client").With("Butterbase:Toolkits:asana:ClientSecret", "asana-secret")
        .With("Butterbase:Toolkits:asana:AuthorizeParams:audience", "https://api.asana.example");
    private TestApp _app = default!;
    private string Base => $"v1/{_app.Id}/integrations";

    public async Task InitializeAsync() => _app = await _portal.CreateAppAsync("Acme", "https://app.example.com/");

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private async Task<Dictionary<string, string>> AuthorizeQueryAsync(string toolkit, object? authorizeParams)
    {
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit, authorizeParams })));
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/connect",
            JsonAssert.Body(new { toolkit, redirectUrl = "https://app.example.com/back", userId = "u1" })));
        return QueryHelpers.ParseQuery(new Uri(started.GetProperty("authUrl").GetString()!).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    [Fact]
    public async Task The_catalogs_parameters_are_sent_and_an_app_can_override_or_remove_them()
    {
        var catalog = await AuthorizeQueryAsync("gmail", null);
        Assert.Equal("offline", catalog["access_type"]);
        Assert.Equal("consent", catalog["prompt"]);

        var overridden = await AuthorizeQueryAsync("gmail", new Dictionary<string, string> { ["prompt"] = "select_account consent", ["login_hint"] = "ada@example.com" });
        Assert.Equal("select_account consent", overridden["prompt"]);
        Assert.Equal("ada@example.com", overridden["login_hint"]);
        Assert.Equal("offline", overridden["access_type"]);

        var removed = await AuthorizeQueryAsync("gmail", new Dictionary<string, string> { ["prompt"] = "" });
        Assert.False(removed.ContainsKey("prompt"));

        var back = await AuthorizeQueryAsync("gmail", new Dictionary<string, string>()); // {} = the catalog's again
        Assert.Equal("consent", back["prompt"]);
    }

    [Fact]
    public async Task The_operators_parameters_apply_to_every_app_unless_the_app_removes_them()
    {
        Assert.Equal("https://api.asana.example", (await AuthorizeQueryAsync("asana", null))["audience"]);
        Assert.False((await AuthorizeQueryAsync("asana", new Dictionary<string, string> { ["audience"] = "" })).ContainsKey("audience"));
    }

    [Theory]
    [InlineData("state")]
    [InlineData("redirect_uri")]
    [InlineData("code_challenge")]
    [InlineData("SCOPE")]
    public async Task Protocol_parameters_cannot_be_set_by_an_app(string name)
    {
        using var admin = _portal.Http(_app.ApiKey);
        var refused = await JsonAssert.ErrorAsync(await admin.PostAsync($"{Base}/configure",
            JsonAssert.Body(new { toolkit = "gmail", authorizeParams = new Dictionary<string, string> { [name] = "x" } })), HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal($"authorizeParams[{name}]", refused.GetProperty("details")[0].GetProperty("field").GetString());
    }
}
