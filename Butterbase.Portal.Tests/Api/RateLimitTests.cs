using System.Net;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Api;

/// <summary>docs/security.md [22]: over the per-app limit → 429 with Retry-After; one app's flood does not throttle another.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new PortalApplication()
        .With("Butterbase:RateLimit:PermitsPerApp", "5")
        .With("Butterbase:RateLimit:WindowSeconds", "60")
        .With("Butterbase:RateLimit:ConnectPerUserPerMinute", "3");
    public async Task InitializeAsync() => await Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Flooding_one_app_throttles_it_alone()
    {
        var noisy = await _portal.CreateAppAsync("Noisy");
        var quiet = await _portal.CreateAppAsync("Quiet");
        using var noisyClient = _portal.Http(noisy.ApiKey);
        using var quietClient = _portal.Http(quiet.ApiKey);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 8; i++)
        {
            var response = await noisyClient.GetAsync($"v1/{noisy.Id}/settings");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
        }
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        await JsonAssert.ErrorAsync(limited!, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.InRange(int.Parse(limited!.Headers.GetValues("Retry-After").Single()), 1, 60);

        Assert.Equal(HttpStatusCode.OK, (await quietClient.GetAsync($"v1/{quiet.Id}/settings")).StatusCode);
    }

    [Fact]
    public async Task Unauthenticated_requests_do_not_use_up_an_apps_allowance()
    {
        var app = await _portal.CreateAppAsync("Target");
        using var anonymous = _portal.Http();
        for (var i = 0; i < 10; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"v1/{app.Id}/settings")).StatusCode);
        using var client = _portal.Http(app.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"v1/{app.Id}/settings")).StatusCode);
    }

    [Fact]
    public async Task An_end_user_may_start_only_a_few_connections_a_minute_and_others_are_unaffected()
    {
        var app = await _portal.CreateAppAsync("Connecting", "https://app.example.com/");
        using (var admin = _portal.Http(app.ApiKey))
            await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "sendgrid" })));
        using var eager = _portal.Http(await _portal.UserTokenAsync(app, "eager"));
        var body = new { toolkit = "sendgrid", redirectUrl = "https://app.example.com/back" };
        for (var i = 0; i < 3; i++)
            await JsonAssert.OkAsync(await eager.PostAsync($"v1/{app.Id}/integrations/connect", JsonAssert.Body(body)));
        var limited = await eager.PostAsync($"v1/{app.Id}/integrations/connect", JsonAssert.Body(body));
        await JsonAssert.ErrorAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.True(limited.Headers.Contains("Retry-After"));

        using var calm = _portal.Http(await _portal.UserTokenAsync(app, "calm"));
        await JsonAssert.OkAsync(await calm.PostAsync($"v1/{app.Id}/integrations/connect", JsonAssert.Body(body)));
    }
}
