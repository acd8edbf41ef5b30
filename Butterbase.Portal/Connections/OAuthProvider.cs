using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections.Quirks;
using Butterbase.Portal.Toolkits;
using Microsoft.Extensions.Options;

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
    /// <summary>
    /// A connection field filled the host of these URLs (Zendesk's `{subdomain}`, Shopify's `{shop}`): every call to them
    /// goes through the outbound policy as tenant-chosen (docs/security.md [32]).
    /// </summary>
    public bool TenantChosenHost { get; init; }
}

public sealed class OAuthProviders(IOptionsMonitor<ToolkitSettingsBySlug> operatorSettings, IServiceProvider services, ToolkitConfigs configs, Outbound.PublicOrigin publicOrigin)
{
    /// <summary>The operator's `Butterbase:Toolkits:{slug}:*` (how tests and on-premises providers point a toolkit elsewhere).</summary>
    public ToolkitSettings OperatorSettings(string slug) => operatorSettings.CurrentValue.For(slug);

    /// <summary>
    /// The connection fields the OAuth flow itself needs: host fields of the toolkit (FORMAT.md `fields` without `in`) whose
    /// `{name}` appears in the OAuth URLs in effect (the catalog's, or an operator's override that keeps the placeholder).
    /// Fields a quirk learns from the provider (Pipedrive's company_domain, Salesforce's instance) are not in those URLs and
    /// are not asked for.
    /// </summary>
    public IReadOnlyList<ConnectionField> OAuthFields(Toolkit toolkit)
    {
        var scheme = toolkit.Auth.FirstOrDefault(a => a.Type == AuthSchemes.OAuth2);
        if (scheme is null || toolkit.Fields is not { Length: > 0 } fields) return [];
        var settings = OperatorSettings(toolkit.Slug);
        var urls = string.Join(" ", settings.AuthorizationUrl ?? scheme.AuthorizationUrl, settings.TokenUrl ?? scheme.TokenUrl,
            settings.RevocationUrl ?? scheme.RevocationUrl, settings.UserInfoUrl ?? scheme.UserInfoUrl);
        return fields.Where(f => f.In is null && urls.Contains("{" + f.Name + "}", StringComparison.Ordinal)).ToList();
    }

    /// <summary>
    /// Whether `{name}` is the first label of a host in the toolkit's addresses in effect (`https://{subdomain}.zendesk.com`):
    /// such a field takes one DNS label, so no dot or colon can make it another host (docs/security.md [32]). An operator's
    /// override that puts the whole host in a field (`http://{shop}/admin`, how stand-ins are reached) lifts it.
    /// </summary>
    /// <param name="oauth">The connection is made with OAuth: its URLs count too (an api_key connection calls only the API).</param>
    public bool IsHostLabel(Toolkit toolkit, string name, bool oauth)
    {
        var settings = OperatorSettings(toolkit.Slug);
        var scheme = oauth ? toolkit.Auth.FirstOrDefault(a => a.Type == AuthSchemes.OAuth2) : null;
        return new[] { settings.ApiBaseUrl ?? toolkit.ApiBaseUrl, settings.AuthorizationUrl ?? scheme?.AuthorizationUrl, settings.TokenUrl ?? scheme?.TokenUrl,
                settings.RevocationUrl ?? scheme?.RevocationUrl, settings.UserInfoUrl ?? scheme?.UserInfoUrl }
            .Any(url => url?.Contains("{" + name + "}.", StringComparison.Ordinal) == true);
    }

    /// <summary>The provider, or the reason it cannot be used yet (no client credentials anywhere).</summary>
    /// <param name="fields">The connection's fields: they fill `{name}` in the OAuth URLs (<see cref="OAuthFields"/>).</param>
    public (OAuthProvider? Provider, string? Problem) Resolve(Toolkit toolkit, ToolkitConfig? config, string origin, IReadOnlyDictionary<string, string>? fields = null)
    {
        var scheme = toolkit.Auth.FirstOrDefault(a => a.Type == AuthSchemes.OAuth2);
        if (scheme is null) return (null, $"{toolkit.Name} does not use OAuth 2.");
        var settings = OperatorSettings(toolkit.Slug);

        var (clientId, secret) = config?.ClientId is { } customId
            ? (customId, configs.ClientSecretOf(config) ?? "")
            : (settings.ClientId, settings.ClientSecret);
        // The built-in Sandbox registers its own client (configuration overrides included): always ask it.
        if (config?.ClientId is null && toolkit.Slug == "sandbox" && services.GetService<ISandboxClient>() is { } sandbox)
            (clientId, secret) = (sandbox.ClientId, sandbox.ClientSecret);
        if (string.IsNullOrEmpty(clientId))
            return (null, $"No OAuth client for {toolkit.Name}: set Butterbase:Toolkits:{toolkit.Slug}:ClientId and ClientSecret, or configure your own credentials for the toolkit.");

        // Only the toolkit's own host fields are filled (GitHub's `{client_id}` and HubSpot's `{access_token}` are the
        // revocation and identity hooks'); their values were checked as host labels when the connect began.
        var hostFields = OAuthFields(toolkit);
        var tenantChosen = false;
        string? Fill(string? url)
        {
            if (url is null) return null;
            foreach (var field in hostFields)
                if (fields?.GetValueOrDefault(field.Name) is { Length: > 0 } value && url.Contains("{" + field.Name + "}", StringComparison.Ordinal))
                {
                    // A field in the host makes the address the tenant's; one in the path of an operator's override does not.
                    if (Authority(url).Contains("{" + field.Name + "}", StringComparison.Ordinal)) tenantChosen = true;
                    url = url.Replace("{" + field.Name + "}", value);
                }
            return url;
        }

        var provider = new OAuthProvider
        {
            Slug = toolkit.Slug,
            AuthorizationUrl = Absolute(Fill(settings.AuthorizationUrl ?? scheme.AuthorizationUrl)!, origin),
            TokenUrl = Absolute(Fill(settings.TokenUrl ?? scheme.TokenUrl)!, origin),
            RevocationUrl = Fill(settings.RevocationUrl ?? scheme.RevocationUrl) is { } r ? Absolute(r, origin) : null,
            UserInfoUrl = Fill(settings.UserInfoUrl ?? scheme.UserInfoUrl) is { } u ? Absolute(u, origin) : null,
            ClientId = clientId,
            ClientSecret = secret ?? "",
            ClientAuth = scheme.ClientAuth ?? "post",
            Pkce = scheme.Pkce,
            ScopeSeparator = scheme.ScopeSeparator ?? " ",
            AuthorizeParams = AuthorizeParams(scheme, settings, config),
            DefaultScopes = scheme.DefaultScopes ?? [],
            Quirks = ProviderQuirks.Resolve(scheme.Quirks),
            Issuer = settings.Issuer,
        };
        return (provider with { TenantChosenHost = tenantChosen }, null);
    }

    /// <summary>
    /// Extra authorize parameters: the catalog's (data, e.g. Google's access_type=offline + prompt=consent), then the
    /// operator's `Butterbase:Toolkits:{slug}:AuthorizeParams:{name}`, then the app's toolkit settings. An empty value
    /// removes the parameter (an app that does not want the consent screen every time).
    /// </summary>
    private static Dictionary<string, string> AuthorizeParams(AuthScheme scheme, ToolkitSettings settings, ToolkitConfig? config)
    {
        var merged = new Dictionary<string, string>(scheme.AuthorizeParams ?? []);
        foreach (var (key, value) in settings.AuthorizeParams) merged[key] = value ?? "";
        foreach (var (key, value) in config?.AuthorizeParams ?? []) merged[key] = value;
        return merged.Where(p => p.Value.Length > 0).ToDictionary();
    }

    /// <summary>The `host[:port]` text of a URL template (`{subdomain}.zendesk.com`), between `://` and the path.</summary>
    private static string Authority(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal) is var i and >= 0 ? i + 3 : 0;
        var end = url.IndexOfAny(['/', '?', '#'], start);
        return end < 0 ? url[start..] : url[start..end];
    }


    /// <summary>The API base URL with its configuration override, absolute.</summary>
    public string ApiBaseUrl(Toolkit toolkit, string origin) =>
        Absolute(OperatorSettings(toolkit.Slug).ApiBaseUrl ?? toolkit.ApiBaseUrl, origin);

    /// <summary>
    /// The base a tool's path goes under: the toolkit's override when configured (a stand-in serves every tool of the toolkit),
    /// else the tool's own base (a tool merged from a spec on another host, tools/catalog/FORMAT.md "Merging"), else the toolkit's.
    /// </summary>
    public string ApiBaseUrl(Toolkit toolkit, ToolDefinition tool, string origin) =>
        tool.BaseUrl is { } own && OperatorSettings(toolkit.Slug).ApiBaseUrl is null ? Absolute(own, origin) : ApiBaseUrl(toolkit, origin);

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
