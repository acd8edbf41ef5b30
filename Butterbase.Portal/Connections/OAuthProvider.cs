using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections.Quirks;
using Butterbase.Portal.Toolkits;

namespace Butterbase.Portal.Connections;

/// <summary>
/// One provider's OAuth 2.0 settings as the engine uses them: the catalog's scheme, then configuration
/// overrides (`Butterbase:Toolkits:{slug}:…`, how tests and GitHub Enterprise point elsewhere), then the
/// app's own client if it set one. Host-relative URLs (the Sandbox) are resolved against the public origin.
/// </summary>
public sealed record OAuthProvider
{
    public required string Slug { get; init; }
    public required string AuthorizationUrl { get; init; }
    public required string TokenUrl { get; init; }
    public string? RevocationUrl { get; init; }
    public string? UserInfoUrl { get; init; }
    public required string ClientId { get; init; }
    public required string ClientSecret { get; init; }
    /// <summary>basic | post — how the client authenticates at the token endpoint.</summary>
    public string ClientAuth { get; init; } = "post";
    public bool Pkce { get; init; }
    public string ScopeSeparator { get; init; } = " ";
    public IReadOnlyDictionary<string, string> AuthorizeParams { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> DefaultScopes { get; init; } = [];
    /// <summary>The provider's quirks (Connections/Quirks), resolved from the names the catalog gives.</summary>
    public IReadOnlyList<ProviderQuirk> Quirks { get; init; } = [];
    /// <summary>When set, the `iss` of the authorization response must equal it (RFC 9207).</summary>
    public string? Issuer { get; init; }
}

public sealed class OAuthProviders(IConfiguration configuration, IServiceProvider services, ToolkitConfigs configs, Outbound.PublicOrigin publicOrigin)
{
    /// <summary>The provider, or the reason it cannot be used yet (no client credentials anywhere).</summary>
    public (OAuthProvider? Provider, string? Problem) Resolve(Toolkit toolkit, ToolkitConfig? config, string origin)
    {
        var scheme = toolkit.Auth.FirstOrDefault(a => a.Type == "oauth2");
        if (scheme is null) return (null, $"{toolkit.Name} does not use OAuth 2.");
        var section = configuration.GetSection($"Butterbase:Toolkits:{toolkit.Slug}");
        string? Setting(string key, string? fallback) => section[key] is { Length: > 0 } v ? v : fallback;

        var (clientId, secret) = config?.ClientId is { } customId
            ? (customId, configs.ClientSecretOf(config) ?? "")
            : (Setting("ClientId", null), Setting("ClientSecret", null));
        // The built-in Sandbox registers its own client (configuration overrides included): always ask it.
        if (config?.ClientId is null && toolkit.Slug == "sandbox" && services.GetService<ISandboxClient>() is { } sandbox)
            (clientId, secret) = (sandbox.ClientId, sandbox.ClientSecret);
        if (string.IsNullOrEmpty(clientId))
            return (null, $"No OAuth client for {toolkit.Name}: set Butterbase:Toolkits:{toolkit.Slug}:ClientId and ClientSecret, or configure your own credentials for the toolkit.");

        return (new OAuthProvider
        {
            Slug = toolkit.Slug,
            AuthorizationUrl = Absolute(Setting("AuthorizationUrl", scheme.AuthorizationUrl)!, origin),
            TokenUrl = Absolute(Setting("TokenUrl", scheme.TokenUrl)!, origin),
            RevocationUrl = Setting("RevocationUrl", scheme.RevocationUrl) is { } r ? Absolute(r, origin) : null,
            UserInfoUrl = Setting("UserInfoUrl", scheme.UserInfoUrl) is { } u ? Absolute(u, origin) : null,
            ClientId = clientId,
            ClientSecret = secret ?? "",
            ClientAuth = scheme.ClientAuth ?? "post",
            Pkce = scheme.Pkce,
            ScopeSeparator = scheme.ScopeSeparator ?? " ",
            AuthorizeParams = AuthorizeParams(scheme, section, config),
            DefaultScopes = scheme.DefaultScopes ?? [],
            Quirks = ProviderQuirks.Resolve(scheme.Quirks),
            Issuer = Setting("Issuer", null),
        }, null);
    }

    /// <summary>
    /// Extra authorize parameters: the catalog's (data, e.g. Google's access_type=offline + prompt=consent), then the
    /// operator's `Butterbase:Toolkits:{slug}:AuthorizeParams:{name}`, then the app's toolkit settings. An empty value
    /// removes the parameter (an app that does not want the consent screen every time).
    /// </summary>
    private static Dictionary<string, string> AuthorizeParams(AuthScheme scheme, IConfigurationSection section, ToolkitConfig? config)
    {
        var merged = new Dictionary<string, string>(scheme.AuthorizeParams ?? []);
        foreach (var setting in section.GetSection("AuthorizeParams").GetChildren()) merged[setting.Key] = setting.Value ?? "";
        foreach (var (key, value) in config?.AuthorizeParams ?? []) merged[key] = value;
        return merged.Where(p => p.Value.Length > 0).ToDictionary();
    }

    /// <summary>The operator's `Butterbase:Toolkits:{slug}:{key}` setting, or null: how a quirk's own provider URL is pointed elsewhere.</summary>
    public string? Setting(string slug, string key) => configuration[$"Butterbase:Toolkits:{slug}:{key}"] is { Length: > 0 } v ? v : null;

    /// <summary>The API base URL with its configuration override, absolute.</summary>
    public string ApiBaseUrl(Toolkit toolkit, string origin) =>
        Absolute(configuration[$"Butterbase:Toolkits:{toolkit.Slug}:ApiBaseUrl"] is { Length: > 0 } v ? v : toolkit.ApiBaseUrl, origin);

    /// <summary>
    /// The base a tool's path goes under: the toolkit's override when configured (a stand-in serves every tool of the toolkit),
    /// else the tool's own base (a tool merged from a spec on another host, tools/catalog/FORMAT.md "Merging"), else the toolkit's.
    /// </summary>
    public string ApiBaseUrl(Toolkit toolkit, ToolDefinition tool, string origin) =>
        tool.BaseUrl is { } own && configuration[$"Butterbase:Toolkits:{toolkit.Slug}:ApiBaseUrl"] is not { Length: > 0 } ? Absolute(own, origin) : ApiBaseUrl(toolkit, origin);

    /// <summary>
    /// Host-relative URLs (the Sandbox's) are resolved against the configured public origin, never the <paramref name="origin"/>
    /// a caller derived from a request: a forged Host header must not receive the Sandbox's client secret or a user's token.
    /// </summary>
    private string Absolute(string url, string origin) => url.StartsWith('/') ? publicOrigin.Value + url : url;
}

/// <summary>The built-in Sandbox provider's client registration, when the Sandbox runs in this host.</summary>
public interface ISandboxClient
{
    string ClientId { get; }
    string ClientSecret { get; }
}
