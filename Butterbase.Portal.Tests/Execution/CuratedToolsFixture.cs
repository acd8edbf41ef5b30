using System.Text.Json;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// What a class of curated-tool tests shares (xunit class fixture): one portal, one fake OAuth provider in the
/// provider's style, one <see cref="FakeProviderApi"/> standing in for the provider's REST API, and
/// <see cref="User"/> connected to every toolkit once. Tests register the routes they need and read what the fake
/// received; tests of a class run one after another, so a route or a request log is never shared mid-test.
/// </summary>
public abstract class CuratedToolsFixture : IAsyncLifetime
{
    public const string User = "ada";
    private readonly FakeProviderStyle _style;
    private readonly IReadOnlyDictionary<string, string> _apiPaths;

    /// <param name="apiPaths">Toolkit slug → the provider API's base path on the fake (e.g. Graph's "/v1.0").</param>
    protected CuratedToolsFixture(FakeProviderStyle style, IReadOnlyDictionary<string, string> apiPaths)
    {
        _style = style;
        _apiPaths = apiPaths;
    }

    public FakeOAuthProvider OAuth { get; private set; } = default!;
    public FakeProviderApi Api { get; private set; } = default!;
    public PortalApplication Portal { get; private set; } = default!;
    public TestApp App { get; private set; } = default!;
    /// <summary>Toolkit slug → <see cref="User"/>'s connection id.</summary>
    public Dictionary<string, string> Connections { get; } = [];
    public string Base => $"v1/{App.Id}/integrations";

    /// <summary>Extra portal settings before it starts (the fakes are running by then).</summary>
    protected virtual void Configure(PortalApplication portal) { }

    /// <summary>
    /// The `POST /configure` body that enables <paramref name="slug"/> for the app: its default scopes plus the first scope
    /// of every curated tool, so each tool's test reaches the provider (the scope check has tests of its own).
    /// </summary>
    protected virtual object ConfigureRequest(string slug) => new { toolkit = slug, scopes = AllToolScopes(slug) };

    private static readonly Butterbase.Portal.Catalog.ToolkitCatalog Catalog = new();

    public static string[] AllToolScopes(string slug)
    {
        var toolkit = Catalog.Find(slug)!;
        var defaults = toolkit.Auth.FirstOrDefault(a => a.Type == "oauth2")?.DefaultScopes ?? [];
        return defaults.Concat(Catalog.ToolsOf(toolkit).Tools.Where(t => t.Scopes.Length > 0).Select(t => t.Scopes[0])).Distinct().ToArray();
    }

    public async Task InitializeAsync()
    {
        OAuth = await FakeOAuthProvider.StartAsync(_style);
        Api = await FakeProviderApi.StartAsync();
        Api.AcceptsToken = OAuth.IsAccessTokenActive;
        Portal = new PortalApplication().With("Butterbase:RateLimit:PermitsPerApp", "100000");
        foreach (var (slug, path) in _apiPaths)
        {
            foreach (var (key, value) in OAuth.SettingsFor(slug)) Portal.With(key, value);
            Portal.With($"Butterbase:Toolkits:{slug}:ApiBaseUrl", Api.BaseUrl + path);
        }
        Configure(Portal);
        App = await Portal.CreateAppAsync("Acme", "https://app.example.com/");
        using var admin = Portal.Http(App.ApiKey);
        foreach (var slug in _apiPaths.Keys)
        {
            await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(ConfigureRequest(slug))));
            Connections[slug] = await ConnectAsync(slug, User);
        }
    }

    public async Task DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Api.DisposeAsync();
        await OAuth.DisposeAsync();
    }

    /// <summary>Runs the OAuth dance against the fake provider (a browser that follows no redirects) and answers the connection id.</summary>
    public Task<string> ConnectAsync(string slug, string user) => Portal.ConnectThroughFakeAsync(App, OAuth, slug, user);

    /// <summary>`POST /execute` with the app's API key, as <paramref name="user"/>: the raw HTTP answer.</summary>
    public async Task<HttpResponseMessage> PostExecuteAsync(string toolName, object? parameters, string user = User)
    {
        using var admin = Portal.Http(App.ApiKey);
        return await admin.PostAsync($"{Base}/execute", JsonAssert.Body(new { toolName, userId = user, @params = parameters ?? new { } }));
    }

    /// <summary>Runs a tool that must succeed and answers its `data`.</summary>
    public async Task<JsonElement> SucceedsAsync(string toolName, object? parameters, string user = User)
    {
        var result = await JsonAssert.OkAsync(await PostExecuteAsync(toolName, parameters, user));
        Assert.True(result.GetProperty("successful").GetBoolean(), $"{toolName} failed: {result}");
        Assert.StartsWith("ex_", result.GetProperty("executionId").GetString());
        return result.GetProperty("data");
    }

    /// <summary>Runs a tool whose provider call must fail with <paramref name="code"/>; answers the whole result.</summary>
    public async Task<JsonElement> FailsAsync(string toolName, object? parameters, string code, int? upstreamStatus)
    {
        var result = await JsonAssert.OkAsync(await PostExecuteAsync(toolName, parameters));
        Assert.False(result.GetProperty("successful").GetBoolean(), $"{toolName} should have failed: {result}");
        var error = result.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        if (upstreamStatus is { } status) Assert.Equal(status, error.GetProperty("upstreamStatus").GetInt32());
        return result;
    }

    /// <summary>The last request the provider fake received for <paramref name="method"/> <paramref name="path"/>.</summary>
    public FakeProviderApi.Received Received(string method, string path) =>
        Api.Requests.LastOrDefault(r => r.Method == method && r.Path == path)
        ?? throw new Xunit.Sdk.XunitException($"The provider fake received no {method} {path}; it received: "
            + string.Join(", ", Api.Requests.Select(r => r.Method + " " + r.Path)));
}
