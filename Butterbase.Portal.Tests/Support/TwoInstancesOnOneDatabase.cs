using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Support;

/// <summary>
/// Two portal instances on one database (PostgreSQL when the test command provides one, else one SQLite file), as
/// behind a load balancer, with an OAuth stand-in that rotates refresh tokens, its API, and app "Acme" configured for
/// the stand-in's toolkit on both.
/// </summary>
public abstract class TwoInstancesOnOneDatabase : IAsyncLifetime
{
    protected const string Slug = "asana";
    protected FakeOAuthProvider _oauth = default!;
    protected FakeProviderApi _api = default!;
    protected PortalApplication _a = default!, _b = default!;
    protected TestApp _app = default!;
    protected string Base => $"v1/{_app.Id}/integrations";

    /// <summary>The stand-in API's answer to `GET /projects` (ASANA_GET_PROJECTS).</summary>
    protected abstract FakeProviderApi.Handler Projects { get; }

    /// <summary>Settings both instances get beyond the stand-ins' own.</summary>
    protected virtual PortalApplication Configure(PortalApplication portal) => portal;

    public async Task InitializeAsync()
    {
        _oauth = await FakeOAuthProvider.StartAsync(FakeProviderStyle.Generic, o => o.RotateRefreshTokens = true);
        _api = await FakeProviderApi.StartAsync();
        _api.AcceptsToken = _oauth.IsAccessTokenActive;
        _api.On("GET", "/projects", Projects);
        _a = Instance(new PortalApplication());
        _app = await _a.CreateAppAsync("Acme", "https://app.example.com/");
        _b = Instance(new PortalApplication(directory: _a.Directory));
        _ = _b.Address;
        using var admin = _a.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = Slug })));
    }

    private PortalApplication Instance(PortalApplication portal)
    {
        foreach (var (key, value) in _oauth.SettingsFor(Slug)) portal.With(key, value);
        return Configure(portal.With("Butterbase:RateLimit:PermitsPerApp", "100000").With($"Butterbase:Toolkits:{Slug}:ApiBaseUrl", _api.BaseUrl));
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _api.DisposeAsync();
        await _oauth.DisposeAsync();
    }
}
