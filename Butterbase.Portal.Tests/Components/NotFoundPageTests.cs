using System.Net;
using System.Net.Http.Headers;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Components;

/// <summary>An address nothing answers is the portal's own not-found page for a browser, and stays JSON for the API.</summary>
public sealed class NotFoundPageTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private static HttpRequestMessage Navigation(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        return request;
    }

    [Fact]
    public async Task A_browser_asking_for_an_unknown_page_gets_the_portals_not_found_page_with_404()
    {
        using var client = _portal.CreateClient();
        using var response = await client.SendAsync(Navigation(HttpMethod.Get, "/no-such-page/anywhere"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Page not found", html);
        Assert.Contains("<main", html); // the portal's layout, not a bare page
    }

    [Fact]
    public async Task The_api_answers_json_for_an_unknown_path_even_to_a_browser_and_other_methods_get_no_page()
    {
        using var client = _portal.CreateClient();
        using var api = await client.SendAsync(Navigation(HttpMethod.Get, "/v1/no-such-thing"));
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Equal("application/json", api.Content.Headers.ContentType?.MediaType);

        using var post = await client.SendAsync(Navigation(HttpMethod.Post, "/no-such-page"));
        Assert.DoesNotContain("Page not found", await post.Content.ReadAsStringAsync());
    }
}
