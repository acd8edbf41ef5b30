using System.Diagnostics;
using System.Net;
using Butterbase.Portal.Execution;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// The provider client's 403 reader (docs/security.md "Execution log: refused calls and the provider client's handlers"):
/// it sits outside the resilience pipeline's timeouts, so its own body timeout is all that stops a host that sends a 403's
/// headers and then drips (or never sends) the body. Over real HTTP against a stand-in host that does exactly that.
/// </summary>
public sealed class ProviderRateLimitHandlerTests : IAsyncLifetime
{
    private WebApplication _host = default!;
    private string _url = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _host = builder.Build();
        // A 403 that promises 4 KB, sends the first bytes and then one byte every 200 ms.
        _host.MapGet("/drip", async context =>
        {
            context.Response.StatusCode = 403;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = 4096;
            await context.Response.Body.WriteAsync("{\"error\":{\"errors\":[{\"reason\":\""u8.ToArray(), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            try
            {
                while (true)
                {
                    await Task.Delay(200, context.RequestAborted);
                    await context.Response.Body.WriteAsync("r"u8.ToArray(), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (OperationCanceledException) { }
        });
        _host.MapGet("/limited", () => Results.Json(new { error = new { errors = new[] { new { reason = "rateLimitExceeded" } } } }, statusCode: 403));
        await _host.StartAsync();
        _url = _host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static HttpClient Client(TimeSpan bodyTimeout) =>
        new(new ProviderRateLimitHandler(bodyTimeout) { InnerHandler = new SocketsHttpHandler() }) { Timeout = Timeout.InfiniteTimeSpan };

    [Fact]
    public async Task A_403_whose_body_drips_ends_as_a_timeout_after_the_body_timeout_not_when_the_caller_gives_up()
    {
        using var client = Client(TimeSpan.FromMilliseconds(500));
        var watch = Stopwatch.StartNew();
        // The caller would wait a minute: the handler gives up first, as "did not answer in time" (ToolRunner's timeout).
        using var callerPatience = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await Assert.ThrowsAsync<TaskCanceledException>(() => client.GetAsync(_url + "/drip", HttpCompletionOption.ResponseHeadersRead, callerPatience.Token));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10));
        Assert.False(callerPatience.IsCancellationRequested);
    }

    [Fact]
    public async Task A_403_that_arrives_whole_is_read_and_classified_within_the_body_timeout()
    {
        using var client = Client(TimeSpan.FromMilliseconds(500));
        using var response = await client.GetAsync(_url + "/limited", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.True(ProviderRateLimitHandler.IsRateLimited(response));
    }
}
