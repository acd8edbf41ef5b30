using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// `POST /integrations/proxy` (docs/security.md "Proxy") against a generated OAuth toolkit (Asana) whose API base has a
/// path (`/api/1.0`), a stand-in for its API and an attacker's server that must never hear anything.
/// </summary>
public sealed class ProxyTests(ProxyTests.Stage stage) : IClassFixture<ProxyTests.Stage>
{
    private const string Slug = "asana";
    private PortalApplication Portal => stage.Portal;
    private TestApp App => stage.App;
    private FakeProviderApi Api => stage.Api;
    private FakeProviderApi Attacker => stage.Attacker;
    private FakeOAuthProvider OAuth => stage.OAuth;
    private string Base => $"v1/{App.Id}/integrations";
    private string ApiAuthority => new Uri(Api.BaseUrl).Authority;

    public sealed class Stage : IAsyncLifetime
    {
        public FakeOAuthProvider OAuth { get; private set; } = default!;
        public FakeProviderApi Api { get; private set; } = default!;
        public FakeProviderApi Attacker { get; private set; } = default!;
        public PortalApplication Portal { get; private set; } = default!;
        public TestApp App { get; private set; } = default!;

        public async Task InitializeAsync()
        {
            OAuth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic);
            Api = await FakeProviderApi.StartAsync();
            Attacker = await FakeProviderApi.StartAsync();
            Api.AcceptsToken = OAuth.IsAccessTokenActive;
            Api.On("GET", "/api/1.0/projects", r => (200, new { data = new[] { new { gid = "p1", name = "Launch" } }, query = r.Query },
                new Dictionary<string, string>
                {
                    ["ETag"] = "\"v1\"",
                    ["X-RateLimit-Remaining"] = "41",
                    ["Set-Cookie"] = "session=provider-session; HttpOnly",
                    ["X-Internal-Debug"] = "node-7",
                }));
            Api.On("POST", "/api/1.0/projects", r => (201, new { data = new { gid = "p2", received = r.Json, contentType = r.Headers.GetValueOrDefault("Content-Type") } }, null));
            Api.On("PUT", "/api/1.0/notes", r => (200, new { text = r.Body, contentType = r.Headers.GetValueOrDefault("Content-Type") }, null));
            Api.On("GET", "/api/1.0/logo.png", _ => (200, new FakeProviderApi.RawBody([0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0x10], "image/png"), null));
            Api.On("GET", "/api/1.0/readme", _ => (200, new FakeProviderApi.RawBody("plain words"u8.ToArray(), "text/plain; charset=utf-8"), null));
            Api.On("GET", "/api/1.0/huge", _ => (200, new FakeProviderApi.RawBody(new byte[ToolRunner.MaxResponseSize + 1], "application/octet-stream"), null));
            Api.On("HEAD", "/api/1.0/huge", _ => (200, null, new Dictionary<string, string> { ["Content-Length"] = "50000000", ["Content-Type"] = "video/mp4" }));
            Api.On("GET", "/api/1.0/echo", r =>
            {
                var token = r.Headers["Authorization"][7..];
                return (200, new { token, escaped = token.Replace("/", "\\/"), link = "https://example.com/next?access_token=" + Uri.EscapeDataString(token) },
                    new Dictionary<string, string> { ["Link"] = $"<https://example.com/next?access_token={token}>; rel=\"next\"", ["ETag"] = "\"e1\"" });
            });
            Api.On("GET", "/api/1.0/echo16", r => (200, new FakeProviderApi.RawBody(
                System.Text.Encoding.Unicode.GetBytes($"{{\"token\":\"{r.Headers["Authorization"][7..]}\"}}"), "application/json; charset=utf-16"), null));
            Api.On("GET", "/api/1.0/moved", _ => (302, null, new Dictionary<string, string> { ["Location"] = Attacker.BaseUrl + "/steal" }));
            Portal = new PortalApplication().With("Butterbase:RateLimit:PermitsPerApp", "100000");
            foreach (var (key, value) in OAuth.SettingsFor(Slug)) Portal.With(key, value);
            Portal.With($"Butterbase:Toolkits:{Slug}:ApiBaseUrl", Api.BaseUrl + "/api/1.0");
            App = await Portal.CreateAppAsync("Acme", "https://app.example.com/");
            using var admin = Portal.Http(App.ApiKey);
            await JsonAssert.OkAsync(await admin.PostAsync($"v1/{App.Id}/integrations/configure", JsonAssert.Body(new { toolkit = Slug })));
        }

        public async Task DisposeAsync()
        {
            await Portal.DisposeAsync();
            foreach (var d in new IAsyncDisposable[] { OAuth, Api, Attacker }) await d.DisposeAsync();
        }
    }

    private Task<string> ConnectAsync(string user) => Portal.ConnectThroughFakeAsync(App, OAuth, Slug, user);

    private Task<StoredCredentials> CredentialsAsync(string connectionId) => Portal.StoredCredentialsAsync(App.Id, connectionId);

    private async Task<HttpResponseMessage> ProxyAsync(object body, string? bearer = null)
    {
        using var client = Portal.Http(bearer ?? App.ApiKey);
        return await client.PostAsync($"{Base}/proxy", JsonAssert.Body(body));
    }

    private async Task<List<ExecutionRecord>> ExecutionsOfAsync(string user)
    {
        await Portal.Services.GetRequiredService<ExecutionLog>().FlushAsync();
        await using var scope = Portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDb>().Set<ExecutionRecord>().AsNoTracking()
            .Where(e => e.AppId == App.Id && e.UserId == user).ToListAsync();
    }

    /// <summary>Asserts a 422 invalid_request naming <paramref name="field"/>, and that neither the API nor the attacker heard anything.</summary>
    private async Task AssertRefusedAndNothingSentAsync(object body, string field)
    {
        var before = Api.Requests.Count;
        var error = await JsonAssert.ErrorAsync(await ProxyAsync(body), HttpStatusCode.UnprocessableEntity, "invalid_request");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString()!.StartsWith(field, StringComparison.Ordinal));
        Assert.Equal(before, Api.Requests.Count);
        Assert.Empty(Attacker.Requests);
    }

    [Fact]
    public async Task A_get_reaches_the_provider_with_the_users_bearer_token_and_returns_status_headers_and_body()
    {
        var connection = await ConnectAsync("gina");
        var token = (await CredentialsAsync(connection)).AccessToken!;
        var result = await JsonAssert.OkAsync(await ProxyAsync(new
        {
            toolkit = Slug,
            userId = "gina",
            method = "GET",
            path = "/projects",
            query = new Dictionary<string, object> { ["limit"] = 2, ["archived"] = false, ["opt_fields"] = new[] { "name", "gid" }, ["q"] = "a b&c" },
            headers = new Dictionary<string, string> { ["Accept"] = "application/json", ["Accept-Language"] = "de" },
        }));

        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.Equal("Launch", result.GetProperty("body").GetProperty("data")[0].GetProperty("name").GetString());
        var headers = result.GetProperty("headers");
        Assert.Equal("\"v1\"", headers.GetProperty("etag").GetString());
        Assert.Equal("41", headers.GetProperty("x-ratelimit-remaining").GetString());
        Assert.StartsWith("application/json", headers.GetProperty("content-type").GetString());
        Assert.False(headers.TryGetProperty("set-cookie", out _), "a provider's Set-Cookie reached the caller");
        Assert.False(headers.TryGetProperty("x-internal-debug", out _));
        Assert.False(result.TryGetProperty("bodyBase64", out _));
        Assert.StartsWith("ex_", result.GetProperty("executionId").GetString());

        var seen = Api.Requests.Last(r => r.Path == "/api/1.0/projects");
        Assert.Equal("Bearer " + token, seen.Headers["Authorization"]);
        Assert.Equal("de", seen.Headers["Accept-Language"]);
        Assert.Equal(["2"], seen.QueryValues["limit"]);
        Assert.Equal(["false"], seen.QueryValues["archived"]);
        Assert.Equal(["name", "gid"], seen.QueryValues["opt_fields"]);
        Assert.Equal(["a b&c"], seen.QueryValues["q"]);
    }

    [Fact]
    public async Task A_post_with_a_json_body_is_sent_as_json_and_a_string_body_as_it_is()
    {
        await ConnectAsync("paul");
        var created = await JsonAssert.OkAsync(await ProxyAsync(new
        {
            toolkit = Slug,
            userId = "paul",
            method = "post",
            path = "projects",
            body = new { data = new { name = "Q3", tags = new[] { 1, 2 } } },
        }));
        Assert.Equal(201, created.GetProperty("status").GetInt32());
        var echoed = created.GetProperty("body").GetProperty("data");
        Assert.Equal("Q3", echoed.GetProperty("received").GetProperty("data").GetProperty("name").GetString());
        Assert.StartsWith("application/json", echoed.GetProperty("contentType").GetString());

        var note = await JsonAssert.OkAsync(await ProxyAsync(new
        {
            toolkit = Slug,
            userId = "paul",
            method = "PUT",
            path = "/notes",
            body = "<b>raw</b> text",
            headers = new Dictionary<string, string> { ["Content-Type"] = "text/html; charset=utf-8" },
        }));
        Assert.Equal("<b>raw</b> text", note.GetProperty("body").GetProperty("text").GetString());
        Assert.Equal("text/html; charset=utf-8", note.GetProperty("body").GetProperty("contentType").GetString());
    }

    [Fact]
    public async Task A_binary_answer_comes_back_as_base64_and_text_as_a_string()
    {
        await ConnectAsync("bina");
        var image = await JsonAssert.OkAsync(await ProxyAsync(new { toolkit = Slug, userId = "bina", method = "GET", path = "/logo.png" }));
        Assert.Equal(JsonValueKind.Null, image.GetProperty("body").ValueKind);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0x10 }, Convert.FromBase64String(image.GetProperty("bodyBase64").GetString()!));
        Assert.Equal("image/png", image.GetProperty("headers").GetProperty("content-type").GetString());

        var text = await JsonAssert.OkAsync(await ProxyAsync(new { toolkit = Slug, userId = "bina", method = "GET", path = "/readme" }));
        Assert.Equal("plain words", text.GetProperty("body").GetString());
    }

    [Fact]
    public async Task A_provider_401_forces_one_refresh_and_one_retry_that_succeeds()
    {
        var connection = await ConnectAsync("rita");
        var dead = (await CredentialsAsync(connection)).AccessToken!;
        OAuth.ExpireAccessToken(dead); // dead at the provider, fresh for us
        var refreshes = OAuth.RefreshGrants;
        var calls = Api.Requests.Count(r => r.Path == "/api/1.0/projects");

        var result = await JsonAssert.OkAsync(await ProxyAsync(new { toolkit = Slug, userId = "rita", method = "GET", path = "/projects" }));

        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.Equal(1, OAuth.RefreshGrants - refreshes);
        Assert.Equal(2, Api.Requests.Count(r => r.Path == "/api/1.0/projects") - calls); // the 401, then the retry
        var fresh = (await CredentialsAsync(connection)).AccessToken!;
        Assert.NotEqual(dead, fresh);
        Assert.Equal("Bearer " + fresh, Api.Requests.Last().Headers["Authorization"]);
    }

    [Fact]
    public async Task An_expired_stored_token_is_refreshed_before_the_request_is_sent()
    {
        var connection = await ConnectAsync("ella");
        await Portal.ExpireStoredTokenAsync(OAuth, App.Id, connection);
        var before = Api.Requests.Count;
        var result = await JsonAssert.OkAsync(await ProxyAsync(new { toolkit = Slug, userId = "ella", method = "GET", path = "/projects" }));
        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.Equal(1, Api.Requests.Count - before); // no 401 round: the refresh came first
    }

    [Theory]
    [InlineData("/../admin")]
    [InlineData("../admin")]
    [InlineData("/projects/../../admin")]
    [InlineData("/./projects")]
    [InlineData("/%2e%2e/admin")]
    [InlineData("/%2E%2E/admin")]
    [InlineData("/.%2e/admin")]
    [InlineData("/%252e%252e/admin")]
    [InlineData("/%25252e%25252e/admin")]
    [InlineData("/..%2fadmin")]
    [InlineData("/..%2Fadmin")]
    [InlineData("/..%5cadmin")]
    [InlineData("/..\\admin")]
    [InlineData("/..;/admin")]
    [InlineData("/\uff0e\uff0e/admin")]
    [InlineData("/%EF%BC%8E%EF%BC%8E/admin")]
    [InlineData("/\u2025/admin")]
    [InlineData("/..\uff0fadmin")]
    [InlineData("//{attacker}/steal")]
    [InlineData("/%2f{attacker}/steal")]
    [InlineData("\\\\{attacker}\\steal")]
    [InlineData("/\\{attacker}/steal")]
    [InlineData("/projects#frag")]
    [InlineData("/projects\r\nHost: {attacker}")]
    [InlineData("/projects%0d%0aHost:%20{attacker}")]
    [InlineData("/projects?x=%0d%0aHost:%20{attacker}")]
    [InlineData("/projects\u0000")]
    [InlineData("/projects%00.json")]
    [InlineData("/projects\tx")]
    [InlineData("javascript:alert(1)")]
    [InlineData("ftp://{attacker}/steal")]
    public async Task A_path_that_would_leave_the_api_base_in_any_spelling_is_refused_and_nothing_is_sent(string path)
    {
        await ConnectAsync("tess");
        await AssertRefusedAndNothingSentAsync(new
        {
            toolkit = Slug,
            userId = "tess",
            method = "GET",
            path = path.Replace("{attacker}", new Uri(Attacker.BaseUrl).Authority),
        }, "path");
    }

    [Theory]
    [InlineData("{attackerUrl}/steal")]                        // another host and port
    [InlineData("https://{api}/api/1.0/projects")]             // another scheme
    [InlineData("http://127.0.0.1:1/api/1.0/projects")]        // another port
    [InlineData("http://localhost:{apiPort}/api/1.0/projects")] // another host name for the same address
    [InlineData("http://{api}.evil.example/api/1.0/projects")]
    [InlineData("http://{api}@{attacker}/steal")]
    [InlineData("http://user:pw@{api}/api/1.0/projects")]
    [InlineData("http://{api}/admin")]                         // the right origin, outside the API base path
    [InlineData("http://{api}/api/1.0/../admin")]
    [InlineData("http://{api}/api/1.0/%2e%2e/admin")]
    public async Task An_absolute_url_off_the_api_base_is_refused_and_nothing_is_sent(string url)
    {
        await ConnectAsync("abe");
        var api = new Uri(Api.BaseUrl);
        await AssertRefusedAndNothingSentAsync(new
        {
            toolkit = Slug,
            userId = "abe",
            method = "GET",
            path = url.Replace("{attackerUrl}", Attacker.BaseUrl).Replace("{attacker}", new Uri(Attacker.BaseUrl).Authority)
                .Replace("{apiPort}", api.Port.ToString()).Replace("{api}", api.Authority),
        }, "path");
    }

    [Fact]
    public async Task An_absolute_url_on_the_api_base_is_sent_like_its_relative_path()
    {
        await ConnectAsync("nina");
        var result = await JsonAssert.OkAsync(await ProxyAsync(new
        {
            toolkit = Slug,
            userId = "nina",
            method = "GET",
            path = $"{Api.BaseUrl}/api/1.0/projects?offset=abc",
            query = new { limit = 5 },
        }));
        Assert.Equal(200, result.GetProperty("status").GetInt32());
        var seen = Api.Requests.Last();
        Assert.Equal("/api/1.0/projects", seen.Path);
        Assert.Equal(["abc"], seen.QueryValues["offset"]);
        Assert.Equal(["5"], seen.QueryValues["limit"]);
    }

    [Theory]
    [InlineData("Authorization", "Bearer caller-token")]
    [InlineData("authorization", "Bearer caller-token")]
    [InlineData("Cookie", "session=caller")]
    [InlineData("Host", "evil.example")]
    [InlineData("Proxy-Authorization", "Basic eDp5")]
    [InlineData("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("tracestate", "caller=1")]
    [InlineData("baggage", "userId=caller")]
    [InlineData("X-Forwarded-For", "10.0.0.1")]
    [InlineData("X-Forwarded-Host", "evil.example")]
    [InlineData("Transfer-Encoding", "chunked")]
    [InlineData("Content-Length", "0")]
    [InlineData("Connection", "close")]
    [InlineData("X-Api-Key", "caller-key")]
    [InlineData("X-HTTP-Method-Override", "DELETE")]
    public async Task A_forbidden_caller_header_is_refused_and_nothing_is_sent(string name, string value)
    {
        await ConnectAsync("hank");
        await AssertRefusedAndNothingSentAsync(new
        {
            toolkit = Slug,
            userId = "hank",
            method = "GET",
            path = "/projects",
            headers = new Dictionary<string, string> { ["Accept"] = "application/json", [name] = value },
        }, "headers.");
    }

    [Fact]
    public async Task A_head_of_a_large_resource_returns_its_headers_not_response_too_large()
    {
        await ConnectAsync("hugh");
        var result = await JsonAssert.OkAsync(await ProxyAsync(new { toolkit = Slug, userId = "hugh", method = "HEAD", path = "/huge" }));
        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.Equal("video/mp4", result.GetProperty("headers").GetProperty("content-type").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("body").ValueKind);
    }

    [Theory]
    [InlineData("application/json\r\nX-Injected: 1")]
    [InlineData("application/json\nX-Injected: 1")]
    [InlineData("application/json\r")]
    [InlineData("application/json\u0000")]
    [InlineData("application/json; q=\u00e9\u2028")] // not ASCII: would fail in the handler, after the check, as "unreachable"
    public async Task A_line_break_nul_or_non_ascii_in_a_header_value_is_refused_and_nothing_is_sent(string value)
    {
        await ConnectAsync("cleo");
        await AssertRefusedAndNothingSentAsync(new
        {
            toolkit = Slug,
            userId = "cleo",
            method = "GET",
            path = "/projects",
            headers = new Dictionary<string, string> { ["Accept"] = value },
        }, "headers.Accept");
    }

    [Fact]
    public async Task A_line_break_in_a_query_name_or_value_is_refused_and_nothing_is_sent()
    {
        await ConnectAsync("quin");
        await AssertRefusedAndNothingSentAsync(new
        {
            toolkit = Slug,
            userId = "quin",
            method = "GET",
            path = "/projects",
            query = new Dictionary<string, object> { ["q"] = "a\r\nHost: evil" },
        }, "query.q");
        await AssertRefusedAndNothingSentAsync(new
        {
            toolkit = Slug,
            userId = "quin",
            method = "GET",
            path = "/projects",
            query = new Dictionary<string, object> { ["a\nb"] = "x" },
        }, "query.");
        await AssertRefusedAndNothingSentAsync(new
        {
            toolkit = Slug,
            userId = "quin",
            method = "GET",
            path = "/projects",
            query = new Dictionary<string, object> { ["nested"] = new { a = 1 } },
        }, "query.nested");
    }

    [Theory]
    [InlineData("TRACE")]
    [InlineData("CONNECT")]
    [InlineData("OPTIONS")]
    [InlineData("GET /admin HTTP/1.1\r\nX:")]
    public async Task A_method_outside_get_head_post_put_patch_delete_is_refused(string method)
    {
        await ConnectAsync("mona");
        await AssertRefusedAndNothingSentAsync(new { toolkit = Slug, userId = "mona", method, path = "/projects" }, "method");
    }

    [Fact]
    public async Task A_get_with_a_body_is_refused()
    {
        await ConnectAsync("gabe");
        await AssertRefusedAndNothingSentAsync(new { toolkit = Slug, userId = "gabe", method = "GET", path = "/projects", body = new { a = 1 } }, "body");
    }

    [Fact]
    public async Task Without_a_connection_the_answer_is_409_no_connection()
    {
        var before = Api.Requests.Count;
        await JsonAssert.ErrorAsync(await ProxyAsync(new { toolkit = Slug, userId = "nobody", method = "GET", path = "/projects" }),
            HttpStatusCode.Conflict, "no_connection");
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task Another_users_connection_id_is_404_with_or_without_the_toolkit_and_nothing_is_sent()
    {
        var victims = await ConnectAsync("victim");
        await ConnectAsync("mallory");
        var before = Api.Requests.Count;
        await JsonAssert.ErrorAsync(await ProxyAsync(new { toolkit = Slug, connectionId = victims, userId = "mallory", method = "GET", path = "/projects" }),
            HttpStatusCode.NotFound, "connection_not_found");
        await JsonAssert.ErrorAsync(await ProxyAsync(new { connectionId = victims, userId = "mallory", method = "GET", path = "/projects" }),
            HttpStatusCode.NotFound, "connection_not_found");
        // …and through mallory's own user token.
        var jwt = await Portal.UserTokenAsync(App, "mallory");
        await JsonAssert.ErrorAsync(await ProxyAsync(new { connectionId = victims, method = "GET", path = "/projects" }, jwt),
            HttpStatusCode.NotFound, "connection_not_found");
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task A_connection_id_alone_names_the_toolkit()
    {
        var connection = await ConnectAsync("cody");
        var result = await JsonAssert.OkAsync(await ProxyAsync(new { connectionId = connection, userId = "cody", method = "GET", path = "/projects" }));
        Assert.Equal(200, result.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task An_end_user_token_acts_for_its_own_user_only()
    {
        await ConnectAsync("jane");
        var jwt = await Portal.UserTokenAsync(App, "jane");
        var own = await JsonAssert.OkAsync(await ProxyAsync(new { toolkit = Slug, method = "GET", path = "/projects" }, jwt));
        Assert.Equal(200, own.GetProperty("status").GetInt32());
        await JsonAssert.ErrorAsync(await ProxyAsync(new { toolkit = Slug, userId = "gina", method = "GET", path = "/projects" }, jwt),
            HttpStatusCode.Forbidden, "forbidden");
        await JsonAssert.ErrorAsync(await ProxyAsync(new { toolkit = Slug, method = "GET", path = "/projects" }), // API key without userId
            HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    [Fact]
    public async Task The_users_token_never_appears_in_the_answer_or_the_execution_log()
    {
        var connection = await ConnectAsync("echo");
        var credentials = await CredentialsAsync(connection);
        var response = await ProxyAsync(new { toolkit = Slug, userId = "echo", method = "GET", path = "/echo", query = new { note = credentials.AccessToken } });
        var text = await response.Content.ReadAsStringAsync();
        var result = await JsonAssert.OkAsync(response);

        Assert.Equal("[redacted]", result.GetProperty("body").GetProperty("token").GetString());
        Assert.DoesNotContain(credentials.AccessToken!, text);
        Assert.DoesNotContain(Uri.EscapeDataString(credentials.AccessToken!), text);
        Assert.DoesNotContain(credentials.RefreshToken!, text);
        Assert.False(result.GetProperty("headers").TryGetProperty("link", out _), "a header echoing the token was returned");
        Assert.Equal("\"e1\"", result.GetProperty("headers").GetProperty("etag").GetString());

        // Declared in another charset, the echoed token is not the UTF-8 bytes the first scrub looks for: still redacted.
        var utf16 = await ProxyAsync(new { toolkit = Slug, userId = "echo", method = "GET", path = "/echo16" });
        var utf16Text = await utf16.Content.ReadAsStringAsync();
        Assert.Equal("[redacted]", (await JsonAssert.OkAsync(utf16)).GetProperty("body").GetProperty("token").GetString());
        Assert.DoesNotContain(credentials.AccessToken!, utf16Text);

        var logged = Assert.Single(await ExecutionsOfAsync("echo"), e => e.Request!.Contains("/echo?"));
        Assert.Equal("ASANA_PROXY", logged.ToolName);
        Assert.Equal(200, logged.UpstreamStatus);
        Assert.True(logged.Successful);
        Assert.StartsWith("GET " + Api.BaseUrl + "/api/1.0/echo", logged.Request);
        foreach (var column in new[] { logged.Request!, logged.Response! })
        {
            Assert.DoesNotContain(credentials.AccessToken!, column);
            Assert.DoesNotContain(Uri.EscapeDataString(credentials.AccessToken!), column);
        }
    }

    [Fact]
    public async Task A_redirect_is_returned_not_followed_and_the_other_host_hears_nothing()
    {
        await ConnectAsync("rex");
        var result = await JsonAssert.OkAsync(await ProxyAsync(new { toolkit = Slug, userId = "rex", method = "GET", path = "/moved" }));
        Assert.Equal(302, result.GetProperty("status").GetInt32());
        Assert.Equal(Attacker.BaseUrl + "/steal", result.GetProperty("headers").GetProperty("location").GetString());
        Assert.Empty(Attacker.Requests);
    }

    [Fact]
    public async Task An_answer_over_the_size_cap_is_refused_with_response_too_large()
    {
        await ConnectAsync("max");
        await JsonAssert.ErrorAsync(await ProxyAsync(new { toolkit = Slug, userId = "max", method = "GET", path = "/huge" }),
            HttpStatusCode.BadGateway, "response_too_large");
    }

    [Fact]
    public async Task A_disabled_or_unknown_toolkit_is_answered_like_execute()
    {
        await JsonAssert.ErrorAsync(await ProxyAsync(new { toolkit = "no-such-toolkit", userId = "u", method = "GET", path = "/x" }),
            HttpStatusCode.NotFound, "unknown_toolkit");
        await JsonAssert.ErrorAsync(await ProxyAsync(new { toolkit = "github", userId = "u", method = "GET", path = "/user" }),
            HttpStatusCode.Conflict, "toolkit_not_enabled");
    }

    [Fact]
    public async Task The_openapi_document_describes_the_proxy_with_its_request_answer_and_errors()
    {
        using var client = Portal.Http();
        using var document = JsonDocument.Parse(await client.GetStringAsync("openapi/v1.json"));
        var post = document.RootElement.GetProperty("paths").GetProperty("/v1/{appId}/integrations/proxy").GetProperty("post");
        Assert.Contains("any endpoint", post.GetProperty("summary").GetString());
        Assert.Contains("ProxyRequest", post.GetProperty("requestBody").ToString());
        foreach (var status in new[] { "200", "404", "409", "422", "502", "504" })
            Assert.True(post.GetProperty("responses").TryGetProperty(status, out _), $"no {status} response described");
        var answer = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("ProxyResult").GetProperty("properties");
        foreach (var name in new[] { "status", "headers", "body", "bodyBase64", "executionId" })
            Assert.True(answer.TryGetProperty(name, out _), $"ProxyResult lacks {name}");
    }

    /// <summary>
    /// A toolkit whose address is a connection's host field (Jellyfin): a tenant who points it at loopback gets the same
    /// "could not be reached" as for a closed port, and no socket is opened (docs/security.md [32]), through the proxy too.
    /// </summary>
    [Fact]
    public async Task A_tenant_chosen_private_host_stays_refused_by_the_outbound_policy()
    {
        await using var guarded = new PortalApplication().With("Butterbase:Outbound:AllowPrivateNetworks", "false");
        var app = await guarded.CreateAppAsync("Guarded", HostedConnectDriver.ReturnUrl);
        using (var admin = guarded.Http(app.ApiKey))
            await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "jellyfin" })));
        var connectionId = await guarded.ConnectHostedAsync(app, "jellyfin", "rebinder",
            new Dictionary<string, string> { ["api_key"] = "jf-key-0001", ["field.host"] = "jellyfin.example.com" });
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            // What a name that resolved publicly when saved does later (DNS rebinding): the stored host now says loopback.
            await using (var scope = guarded.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
                var protector = scope.ServiceProvider.GetRequiredService<CredentialProtector>();
                var row = await db.Connections.SingleAsync(c => c.Id == connectionId);
                var credentials = protector.Unprotect(row.AppId, row.Id, row.Credentials);
                row.Credentials = protector.Protect(row.AppId, row.Id, credentials with { Fields = new() { ["host"] = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}" } });
                row.Version++;
                await db.SaveChangesAsync();
            }
            guarded.Services.GetRequiredService<ConnectionCache>().Invalidate(app.Id, "rebinder", "jellyfin");

            using var client = guarded.Http(app.ApiKey);
            var error = await JsonAssert.ErrorAsync(await client.PostAsync($"v1/{app.Id}/integrations/proxy",
                JsonAssert.Body(new { toolkit = "jellyfin", userId = "rebinder", method = "GET", path = "/Artists" })), HttpStatusCode.BadGateway, "upstream_error");
            Assert.Equal("Jellyfin could not be reached.", error.GetProperty("message").GetString());
            Assert.False(listener.Pending(), "the portal opened a connection to loopback");
        }
        finally { listener.Stop(); }
    }
}
