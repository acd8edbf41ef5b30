using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.AspNetCore.WebUtilities;

namespace Butterbase.Portal.Tests.Fakes;

/// <summary>A bare OAuth client on a plain HttpClient (no redirects followed), to drive the fakes in their own tests.</summary>
internal sealed class OAuthTestClient : IDisposable
{
    public const string RedirectUri = "https://portal.test/v1/oauth/callback/toolkit";

    public HttpClient Http { get; } = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = FakeOAuthProvider.Base64Url(RandomNumberGenerator.GetBytes(48));
        return (verifier, FakeOAuthProvider.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string Url(string url, params (string Name, string? Value)[] query) =>
        QueryHelpers.AddQueryString(url, query.Where(q => q.Value is not null).Select(q => new KeyValuePair<string, string?>(q.Name, q.Value)));

    /// <summary>GET the authorize URL, expect a 302, return the redirect's query parameters.</summary>
    public async Task<Dictionary<string, string>> AuthorizeAsync(string url)
    {
        using var response = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(RedirectUri, location.ToString());
        return QueryHelpers.ParseQuery(location.Query).ToDictionary(q => q.Key, q => q.Value.ToString());
    }

    /// <summary>A standard authorize URL with state and (unless <paramref name="pkce"/> is null) an S256 challenge.</summary>
    public static string AuthorizeUrl(FakeOAuthProvider fake, string scope, (string Verifier, string Challenge)? pkce, string state = "state-123",
        params (string Name, string? Value)[] extra) =>
        Url(fake.AuthorizeUrl, [
            ("client_id", fake.ClientId), ("redirect_uri", RedirectUri), ("response_type", "code"), ("scope", scope), ("state", state),
            ("code_challenge", pkce?.Challenge), ("code_challenge_method", pkce is null ? null : "S256"), .. extra]);

    public async Task<HttpResponseMessage> PostFormAsync(string url, IEnumerable<(string Name, string Value)> form,
        (string Id, string Secret)? basic = null, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))),
        };
        if (basic is { } b) request.Headers.Authorization = Basic(b.Id, b.Secret);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        return await Http.SendAsync(request);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? bearer = null, HttpContent? content = null,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return await Http.SendAsync(request);
    }

    public static AuthenticationHeaderValue Basic(string id, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(id) + ":" + Uri.EscapeDataString(secret))));

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement;
    }

    public void Dispose() => Http.Dispose();
}
