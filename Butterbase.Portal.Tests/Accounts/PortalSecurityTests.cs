using System.Net;
using System.Text.RegularExpressions;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Butterbase.Portal.Tests.Accounts;

/// <summary>docs/security.md [29]: cookie flags, antiforgery, framing, and sign-up/sign-in over real form posts.</summary>
public sealed partial class PortalSecurityTests : IAsyncLifetime
{
    // In-memory server addressed as https, as a deployment behind TLS is.
    private readonly PortalApplication _portal = new(kestrel: false);
    private HttpClient _client = default!;

    public Task InitializeAsync()
    {
        _client = _portal.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = true });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private async Task<HttpResponseMessage> PostFormAsync(string path, string formName, Dictionary<string, string> fields, bool withToken = true)
    {
        var page = await _client.GetStringAsync(path);
        var form = new Dictionary<string, string>(fields) { ["_handler"] = formName };
        if (withToken) form["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value;
        return await _client.PostAsync(path, new FormUrlEncodedContent(form));
    }

    [Fact]
    public async Task First_visit_goes_to_sign_up_then_the_session_cookie_is_secure_httponly_samesite()
    {
        var signIn = await _client.GetAsync("/account/signin");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.EndsWith("/account/signup", signIn.Headers.Location!.ToString());

        var response = await PostFormAsync("/account/signup", "signup", new()
        {
            ["Input.Email"] = "dev@example.com", ["Input.Password"] = "correct horse battery", ["Input.ConfirmPassword"] = "correct horse battery",
        });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookies = response.Headers.GetValues("Set-Cookie").Where(c => c.StartsWith("bb.portal")).ToList();
        Assert.NotEmpty(cookies);
        Assert.All(cookies, cookie =>
        {
            Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        });

        var home = await _client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Contains("frame-ancestors 'none'", home.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", home.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task A_form_post_without_the_antiforgery_token_is_refused_and_creates_no_account()
    {
        var response = await PostFormAsync("/account/signup", "signup", new()
        {
            ["Input.Email"] = "csrf@example.com", ["Input.Password"] = "correct horse battery", ["Input.ConfirmPassword"] = "correct horse battery",
        }, withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var c) ? c : [], v => v.StartsWith("bb.portal="));
    }

    [Fact]
    public async Task Sign_up_validates_inline_and_sign_in_rejects_a_wrong_password()
    {
        var invalid = await PostFormAsync("/account/signup", "signup", new()
        {
            ["Input.Email"] = "not-an-email", ["Input.Password"] = "short", ["Input.ConfirmPassword"] = "different",
        });
        var html = await invalid.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, invalid.StatusCode);
        Assert.Contains("Enter a valid email address.", html);
        Assert.Contains("Use at least 10 characters.", html);
        Assert.Contains("The passwords do not match.", html);

        await PostFormAsync("/account/signup", "signup", new()
        {
            ["Input.Email"] = "owner@example.com", ["Input.Password"] = "correct horse battery", ["Input.ConfirmPassword"] = "correct horse battery",
        });
        await _client.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = AntiforgeryField().Match(await _client.GetStringAsync("/account/signin")).Groups[1].Value,
        }));

        var wrong = await PostFormAsync("/account/signin", "signin", new() { ["Input.Email"] = "owner@example.com", ["Input.Password"] = "wrong password!" });
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("do not match an account", await wrong.Content.ReadAsStringAsync());

        var right = await PostFormAsync("/account/signin", "signin", new() { ["Input.Email"] = "OWNER@example.com", ["Input.Password"] = "correct horse battery" });
        Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
        Assert.Equal(new Uri("https://localhost/"), new Uri(_client.BaseAddress!, right.Headers.Location!));
    }

    [Fact]
    public async Task Return_urls_never_leave_the_site()
    {
        await PostFormAsync("/account/signup", "signup", new()
        {
            ["Input.Email"] = "r@example.com", ["Input.Password"] = "correct horse battery", ["Input.ConfirmPassword"] = "correct horse battery",
        });
        foreach (var evil in new[] { "https://evil.com", "//evil.com", "/\\evil.com" })
        {
            var response = await PostFormAsync("/account/signin?returnUrl=" + Uri.EscapeDataString(evil), "signin",
                new() { ["Input.Email"] = "r@example.com", ["Input.Password"] = "correct horse battery" });
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal(new Uri("https://localhost/"), new Uri(_client.BaseAddress!, response.Headers.Location!));
        }
    }
}
