using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Butterbase.Portal.Sandbox;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Sandbox;

/// <summary>
/// Plays the portal's OAuth client and the user's browser against the Sandbox over real HTTP: no redirects followed,
/// cookies kept (the consent form's antiforgery cookie), the consent page's form read from its HTML.
/// </summary>
public sealed partial class SandboxDriver(PortalApplication portal) : IDisposable
{
    public const string Scopes = "messages.read messages.write offline_access";

    private readonly HttpClient _browser = new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
    {
        BaseAddress = portal.Address,
        Timeout = TimeSpan.FromSeconds(30),
    };

    public string Origin => portal.Address.GetLeftPart(UriPartial.Authority);
    public string RedirectUri => Origin + "/v1/oauth/callback/sandbox";
    public SandboxClient Client => portal.Services.GetRequiredService<SandboxClient>();
    public SandboxStats Stats => portal.Services.GetRequiredService<SandboxStats>();

    public static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public string AuthorizeUrl(string? challenge, string state = "st-123", string? redirectUri = null, string scope = Scopes,
        string? method = "S256", string? clientId = null)
    {
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId ?? Client.ClientId,
            ["redirect_uri"] = redirectUri ?? RedirectUri,
            ["scope"] = scope,
            ["state"] = state,
        };
        if (challenge is not null) query["code_challenge"] = challenge;
        if (challenge is not null && method is not null) query["code_challenge_method"] = method;
        return QueryHelpers.AddQueryString("/sandbox/connect/authorize", query);
    }

    public Task<HttpResponseMessage> GetAsync(string url) => _browser.GetAsync(url);

    /// <summary>The consent page's form: its action and every field, as the browser would submit them.</summary>
    public async Task<ConsentForm> ConsentPageAsync(string authorizeUrl)
    {
        var response = await _browser.GetAsync(authorizeUrl);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"consent page: {(int)response.StatusCode} {html}");
        return ConsentForm.Parse(html);
    }

    public Task<HttpResponseMessage> SubmitAsync(ConsentForm form, string decision, string? email = null, bool withAntiforgery = true)
    {
        var fields = form.Fields.Where(f => withAntiforgery || !f.Key.StartsWith("__", StringComparison.Ordinal)).ToList();
        fields.Add(new("email", email ?? form.Email));
        fields.Add(new("decision", decision));
        return _browser.PostAsync(form.Action, new FormUrlEncodedContent(fields));
    }

    /// <summary>Authorize with PKCE, allow as <paramref name="email"/>: the callback's query (code, state, iss).</summary>
    public async Task<(Dictionary<string, string> Callback, string Verifier)> AuthorizeAsync(string email = "alice@sandbox.test", string scope = Scopes)
    {
        var (verifier, challenge) = Pkce();
        var form = await ConsentPageAsync(AuthorizeUrl(challenge, scope: scope));
        var response = await SubmitAsync(form, "allow", email);
        return (Callback(response), verifier);
    }

    /// <summary>The query of a redirect to the portal's callback (asserts it is one).</summary>
    public Dictionary<string, string> Callback(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"expected a redirect, got {(int)response.StatusCode}: {response.Content.ReadAsStringAsync().Result}");
        var location = response.Headers.Location!;
        Assert.Equal(RedirectUri, location.GetLeftPart(UriPartial.Path));
        return QueryHelpers.ParseQuery(location.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    public Task<HttpResponseMessage> TokenAsync(params (string Key, string Value)[] parameters)
    {
        var fields = new List<KeyValuePair<string, string>> { new("client_id", Client.ClientId), new("client_secret", Client.ClientSecret) };
        fields.AddRange(parameters.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)));
        return Post("/sandbox/connect/token", fields);
    }

    public Task<HttpResponseMessage> ExchangeAsync(string code, string verifier) =>
        TokenAsync(("grant_type", "authorization_code"), ("code", code), ("redirect_uri", RedirectUri), ("code_verifier", verifier));

    public Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        TokenAsync(("grant_type", "refresh_token"), ("refresh_token", refreshToken));

    public Task<HttpResponseMessage> RevokeAsync(string token) =>
        Post("/sandbox/connect/revoke", [new("client_id", Client.ClientId), new("client_secret", Client.ClientSecret), new("token", token)]);

    public async Task<Tokens> ConnectAsync(string email = "alice@sandbox.test", string scope = Scopes)
    {
        var (callback, verifier) = await AuthorizeAsync(email, scope);
        return await Tokens.ReadAsync(await ExchangeAsync(callback["code"], verifier));
    }

    public async Task<HttpResponseMessage> Post(string path, IEnumerable<KeyValuePair<string, string>> fields)
    {
        using var client = portal.Http();
        return await client.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    public async Task<HttpResponseMessage> ApiAsync(HttpMethod method, string path, string? accessToken, object? body = null)
    {
        using var client = portal.Http();
        using var request = new HttpRequestMessage(method, "/sandbox/api" + path);
        if (accessToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await client.SendAsync(request);
    }

    public void Dispose() => _browser.Dispose();

    public sealed record Tokens(string AccessToken, string? RefreshToken, int ExpiresIn, string Scope)
    {
        public static async Task<Tokens> ReadAsync(HttpResponseMessage response)
        {
            var json = await JsonAssert.OkAsync(response);
            Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
            return new Tokens(
                json.GetProperty("access_token").GetString()!,
                json.TryGetProperty("refresh_token", out var r) ? r.GetString() : null,
                json.GetProperty("expires_in").GetInt32(),
                json.GetProperty("scope").GetString()!);
        }
    }

    public sealed partial record ConsentForm(string Html, string Action, List<KeyValuePair<string, string>> Fields, string Email)
    {
        public static ConsentForm Parse(string html)
        {
            var action = WebUtility.HtmlDecode(FormAction().Match(html).Groups[1].Value);
            var fields = HiddenInput().Matches(html)
                .Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)))
                .ToList();
            var email = WebUtility.HtmlDecode(EmailInput().Match(html).Groups[1].Value);
            return new ConsentForm(html, action, fields, email);
        }

        [GeneratedRegex("""<form method="post" action="([^"]*)">""")]
        private static partial Regex FormAction();

        [GeneratedRegex("""<input type="hidden" name="([^"]*)" value="([^"]*)" />""")]
        private static partial Regex HiddenInput();

        [GeneratedRegex("""<input id="sandbox-email"[^>]*value="([^"]*)" />""")]
        private static partial Regex EmailInput();
    }

    public static async Task<JsonElement> OAuthErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {error}, got {(int)response.StatusCode}: {text}");
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal(error, json.GetProperty("error").GetString());
        return json;
    }
}
