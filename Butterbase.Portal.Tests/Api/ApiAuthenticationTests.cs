using System.Net;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Butterbase.Portal.Tests.Api;

/// <summary>docs/security.md [19]–[21]: every endpoint × every principal gets the documented status and body.</summary>
public sealed class ApiAuthenticationTests(ApiAuthenticationTests.Fixture fx) : IClassFixture<ApiAuthenticationTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public PortalApplication Portal { get; } = new();
        public TestApp App { get; private set; } = default!;
        public TestApp Other { get; private set; } = default!;
        public string RevokedKey { get; private set; } = "";
        public SecurityKey AppSigningKey { get; private set; } = default!;

        public async Task InitializeAsync()
        {
            App = await Portal.CreateAppAsync("Main app", "https://main.example.com/settings");
            Other = await Portal.CreateAppAsync("Other app");
            var (revoked, plaintext) = await Portal.Services.GetRequiredService<ApiKeys>().CreateAsync(App.Id, "old");
            await Portal.Services.GetRequiredService<ApiKeys>().RevokeAsync(App.Id, revoked.Id);
            RevokedKey = plaintext;
            var entity = await Portal.Services.GetRequiredService<AppRegistry>().FindAsync(App.Id);
            AppSigningKey = Portal.Services.GetRequiredService<UserTokens>().SigningKey(entity!);
        }

        public async Task DisposeAsync() => await Portal.DisposeAsync();
    }

    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "settings" },
        { "PATCH", "settings" },
        { "POST", "auth/user-token" },
        { "POST", "integrations/configure" },
        { "DELETE", "integrations/configure/gmail" },
    };

    private static HttpRequestMessage Request(string method, string appId, string path, string? authorization)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), $"v1/{appId}/{path}");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (method is "POST" or "PATCH")
            request.Content = JsonAssert.Raw(path switch
            {
                "settings" => "{\"name\":\"Renamed by attacker\"}",
                "integrations/configure" => "{\"toolkit\":\"gmail\"}",
                _ => "{\"userId\":\"u_1\"}",
            });
        return request;
    }

    private async Task ExpectAsync(string method, string path, string? authorization, HttpStatusCode status, string code)
    {
        using var client = fx.Portal.Http();
        var response = await client.SendAsync(Request(method, fx.App.Id, path, authorization));
        await JsonAssert.ErrorAsync(response, status, code);
        if (status == HttpStatusCode.Unauthorized) Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    private async Task AssertNothingChangedAsync()
    {
        var app = await fx.Portal.Services.GetRequiredService<AppRegistry>().FindAsync(fx.App.Id);
        Assert.Equal("Main app", app!.Name);
        Assert.Empty(await fx.Portal.Services.GetRequiredService<Butterbase.Portal.Toolkits.ToolkitConfigs>().ListAsync(fx.App.Id));
    }

    [Theory, MemberData(nameof(Endpoints))]
    public async Task No_credential_is_401(string method, string path) =>
        await ExpectAsync(method, path, null, HttpStatusCode.Unauthorized, "unauthorized");

    [Theory, MemberData(nameof(Endpoints))]
    public async Task Another_scheme_or_garbage_is_401(string method, string path)
    {
        await ExpectAsync(method, path, "Basic dXNlcjpwYXNz", HttpStatusCode.Unauthorized, "unauthorized");
        await ExpectAsync(method, path, "Bearer not-a-token", HttpStatusCode.Unauthorized, "unauthorized");
        await ExpectAsync(method, path, "Bearer ", HttpStatusCode.Unauthorized, "unauthorized");
        await AssertNothingChangedAsync();
    }

    [Theory, MemberData(nameof(Endpoints))]
    public async Task Unknown_key_of_the_right_shape_is_401(string method, string path)
    {
        var forged = fx.App.ApiKey[..14] + new string('A', fx.App.ApiKey.Length - 14); // right prefix, wrong secret
        await ExpectAsync(method, path, "Bearer " + forged, HttpStatusCode.Unauthorized, "unauthorized");
        await ExpectAsync(method, path, "Bearer bb_sk_" + new string('x', 48), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertNothingChangedAsync();
    }

    [Theory, MemberData(nameof(Endpoints))]
    public async Task Revoked_key_is_401(string method, string path)
    {
        await ExpectAsync(method, path, "Bearer " + fx.RevokedKey, HttpStatusCode.Unauthorized, "unauthorized");
        await AssertNothingChangedAsync();
    }

    [Theory, MemberData(nameof(Endpoints))]
    public async Task Another_apps_key_is_403_and_changes_nothing(string method, string path)
    {
        await ExpectAsync(method, path, "Bearer " + fx.Other.ApiKey, HttpStatusCode.Forbidden, "forbidden");
        await AssertNothingChangedAsync();
    }

    [Theory, MemberData(nameof(Endpoints))]
    public async Task A_user_token_of_another_app_is_403(string method, string path)
    {
        var token = await fx.Portal.UserTokenAsync(fx.Other, "u_1");
        await ExpectAsync(method, path, "Bearer " + token, HttpStatusCode.Forbidden, "forbidden");
        await AssertNothingChangedAsync();
    }

    [Theory, MemberData(nameof(Endpoints))]
    public async Task A_valid_user_token_on_an_admin_endpoint_is_403(string method, string path)
    {
        var token = await fx.Portal.UserTokenAsync(fx.App, "u_1");
        using var client = fx.Portal.Http();
        var body = await JsonAssert.ErrorAsync(await client.SendAsync(Request(method, fx.App.Id, path, "Bearer " + token)), HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("API key", body.GetProperty("message").GetString());
        await AssertNothingChangedAsync();
    }

    [Theory, MemberData(nameof(Endpoints))]
    public async Task Forged_user_tokens_are_401(string method, string path)
    {
        var hs256 = SecurityAlgorithms.HmacSha256;
        var expired = Tokens.Create(fx.AppSigningKey, hs256, UserTokens.Issuer, fx.App.Id,
            expires: DateTime.UtcNow.AddMinutes(-5), notBefore: DateTime.UtcNow.AddMinutes(-30));
        var noExpiry = Tokens.Create(fx.AppSigningKey, hs256, UserTokens.Issuer, fx.App.Id, withExpiry: false);
        var algNone = Tokens.Unsigned(UserTokens.Issuer, fx.App.Id);
        var offList = Tokens.Create(new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)), SecurityAlgorithms.RsaSha256, UserTokens.Issuer, fx.App.Id);
        var wrongIssuer = Tokens.Create(fx.AppSigningKey, hs256, "https://evil.example", fx.App.Id);
        var otherKey = Tokens.Create(new SymmetricSecurityKey(new byte[32]), hs256, UserTokens.Issuer, fx.App.Id);
        // Signed with this app's key but addressed to another app: the other app's key does not verify it.
        var wrongAudience = Tokens.Create(fx.AppSigningKey, hs256, UserTokens.Issuer, fx.Other.Id);

        foreach (var token in new[] { expired, noExpiry, algNone, offList, wrongIssuer, otherKey })
            await ExpectAsync(method, path, "Bearer " + token, HttpStatusCode.Unauthorized, "unauthorized");
        using var client = fx.Portal.Http();
        var other = await client.SendAsync(Request(method, fx.Other.Id, path, "Bearer " + wrongAudience));
        await JsonAssert.ErrorAsync(other, HttpStatusCode.Unauthorized, "unauthorized");
        await AssertNothingChangedAsync();
    }

    [Fact]
    public async Task The_apps_key_is_accepted_and_revocation_takes_effect_on_the_next_request()
    {
        var (key, plaintext) = await fx.Portal.Services.GetRequiredService<ApiKeys>().CreateAsync(fx.App.Id, "short-lived");
        using var client = fx.Portal.Http(plaintext);
        var settings = await JsonAssert.OkAsync(await client.GetAsync($"v1/{fx.App.Id}/settings"));
        Assert.Equal("Main app", settings.GetProperty("name").GetString());
        Assert.Equal("https://main.example.com/settings", settings.GetProperty("allowed_redirect_urls")[0].GetString());

        Assert.True(await fx.Portal.Services.GetRequiredService<ApiKeys>().RevokeAsync(fx.App.Id, key.Id));
        await JsonAssert.ErrorAsync(await client.GetAsync($"v1/{fx.App.Id}/settings"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_key_for_an_app_that_does_not_exist_is_403_not_a_hint()
    {
        using var client = fx.Portal.Http(fx.App.ApiKey);
        await JsonAssert.ErrorAsync(await client.GetAsync("v1/app_doesnotexist0000/settings"), HttpStatusCode.Forbidden, "forbidden");
    }
}
