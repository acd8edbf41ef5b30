using System.Net;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Tests.Support;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Api;

/// <summary>Every failure under /v1 answers `{error, message}` JSON — never HTML, never an empty body.</summary>
public sealed class ApiErrorTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new PortalApplication()
        // A validator that blows up stands in for any bug on the request path.
        .WithServices(s => s.AddSingleton<IValidator<AppsApi.UserTokenRequest>, ThrowingValidator>());
    private TestApp _app = default!;

    public async Task InitializeAsync() => _app = await _portal.CreateAppAsync();
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private sealed class ThrowingValidator : AbstractValidator<AppsApi.UserTokenRequest>
    {
        public ThrowingValidator() => RuleFor(x => x.UserId).Must(_ => throw new InvalidOperationException("secret internal detail"));
    }

    [Fact]
    public async Task Unknown_path_is_404_json()
    {
        using var client = _portal.Http(_app.ApiKey);
        await JsonAssert.ErrorAsync(await client.GetAsync($"v1/{_app.Id}/no-such-thing"), HttpStatusCode.NotFound, "not_found");
        await JsonAssert.ErrorAsync(await client.GetAsync("v1"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Wrong_method_is_405_json()
    {
        using var client = _portal.Http(_app.ApiKey);
        await JsonAssert.ErrorAsync(await client.DeleteAsync($"v1/{_app.Id}/settings"), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task Malformed_json_is_400_invalid_json()
    {
        using var client = _portal.Http(_app.ApiKey);
        await JsonAssert.ErrorAsync(await client.PatchAsync($"v1/{_app.Id}/settings", JsonAssert.Raw("{\"name\": ")), HttpStatusCode.BadRequest, "invalid_json");
        await JsonAssert.ErrorAsync(await client.PostAsync($"v1/{_app.Id}/auth/user-token", JsonAssert.Raw("[1,2")), HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public async Task Wrong_content_type_is_415_json()
    {
        using var client = _portal.Http(_app.ApiKey);
        await JsonAssert.ErrorAsync(await client.PatchAsync($"v1/{_app.Id}/settings", JsonAssert.Raw("name=x", "application/x-www-form-urlencoded")),
            HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task Body_over_one_mebibyte_is_413_json_and_nothing_changes()
    {
        using var client = _portal.Http(_app.ApiKey);
        var huge = "{\"name\":\"" + new string('a', 1024 * 1024 + 10) + "\"}";
        await JsonAssert.ErrorAsync(await client.PatchAsync($"v1/{_app.Id}/settings", JsonAssert.Raw(huge)), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        var app = await _portal.Services.GetRequiredService<AppRegistry>().FindAsync(_app.Id);
        Assert.Equal("Test app", app!.Name);
    }

    [Fact]
    public async Task Unhandled_exception_is_500_json_without_internals()
    {
        using var client = _portal.Http(_app.ApiKey);
        var response = await client.PostAsync($"v1/{_app.Id}/auth/user-token", JsonAssert.Body(new { userId = "u_1" }));
        var body = await JsonAssert.ErrorAsync(response, HttpStatusCode.InternalServerError, "internal_error");
        Assert.DoesNotContain("secret internal detail", body.ToString());
        Assert.DoesNotContain("InvalidOperationException", body.ToString());
    }

    [Fact]
    public async Task Validation_errors_are_422_with_field_details()
    {
        using var client = _portal.Http(_app.ApiKey);
        var response = await client.PatchAsync($"v1/{_app.Id}/settings", JsonAssert.Body(new
        {
            name = "",
            allowed_redirect_urls = new[] { "https://ok.example.com/back", "javascript:alert(1)" },
            jwt = new { issuer = "", jwks_url = "ftp://x", audience = "" },
        }));
        var body = await JsonAssert.ErrorAsync(response, HttpStatusCode.UnprocessableEntity, "validation_failed");
        var fields = body.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()).ToList();
        Assert.Contains("name", fields);
        Assert.Contains("allowed_redirect_urls[1]", fields);
        Assert.Contains("jwt.issuer", fields);
        Assert.Contains("jwt.jwks_url", fields);
        Assert.Contains("jwt.audience", fields);
        Assert.DoesNotContain("allowed_redirect_urls[0]", fields);
        var app = await _portal.Services.GetRequiredService<AppRegistry>().FindAsync(_app.Id);
        Assert.Equal("Test app", app!.Name); // nothing saved
    }

    [Fact]
    public async Task Portal_pages_redirect_to_sign_in_but_the_api_never_does()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _portal.Address };
        var page = await client.GetAsync($"apps/{_app.Id}");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/signin", page.Headers.Location!.PathAndQuery);
        await JsonAssert.ErrorAsync(await client.GetAsync($"v1/{_app.Id}/settings"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Health_openapi_and_reference_are_served()
    {
        using var client = _portal.Http();
        Assert.Equal("Healthy", await client.GetStringAsync("healthz"));
        var openApi = await client.GetStringAsync("openapi/v1.json");
        Assert.Contains("/v1/{appId}/settings", openApi);
        Assert.Contains("/v1/{appId}/auth/user-token", openApi);
        Assert.Contains("/v1/{appId}/mcp-servers/{server}", openApi);
        using (var document = System.Text.Json.JsonDocument.Parse(openApi))
        {
            var schedules = document.RootElement.GetProperty("paths").GetProperty("/v1/{appId}/functions/{name}/schedules");
            Assert.True(schedules.TryGetProperty("get", out _) && schedules.TryGetProperty("put", out _));
        }
        Assert.Contains("next_run_at", openApi);
        Assert.Contains("/v1/{appId}/webhooks/{id}/rotate-secret", openApi); // the webhooks API is documented too
        var reference = await client.GetAsync("scalar/v1");
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
    }
}
