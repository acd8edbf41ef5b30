using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Connections;

/// <summary>
/// The operator's settings for one toolkit, `Butterbase:Toolkits:{slug}:*` (README "Configuration"): the platform-managed
/// OAuth client, URL overrides (how tests and on-premises providers such as GitHub Enterprise point the same code
/// elsewhere), extra authorize parameters, and the Discord bot token. An empty value counts as not set (null once bound).
/// </summary>
public sealed class ToolkitSettings
{
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string? AuthorizationUrl { get; set; }
    public string? TokenUrl { get; set; }
    public string? RevocationUrl { get; set; }
    public string? UserInfoUrl { get; set; }
    public string? ApiBaseUrl { get; set; }
    /// <summary>The `iss` the authorization response must carry (RFC 9207).</summary>
    public string? Issuer { get; set; }
    /// <summary>Where the `atlassian_cloudid` quirk looks up the site (Connections/Quirks/AtlassianCloudId.cs).</summary>
    public string? AccessibleResourcesUrl { get; set; }
    /// <summary>Where the `xero_tenant` quirk looks up the organisation (Connections/Quirks/XeroTenant.cs).</summary>
    public string? ConnectionsUrl { get; set; }
    /// <summary>The platform's Discord bot (Execution/Tools/Discord.cs).</summary>
    public string? BotToken { get; set; }
    /// <summary>`AuthorizeParams:{name}`: added to the authorize request; an empty value removes the catalog's parameter.</summary>
    public Dictionary<string, string?> AuthorizeParams { get; } = new(StringComparer.Ordinal);

    /// <summary>An empty value (`Key=` in configuration) counts as not set: every setting is null then (run after binding).</summary>
    internal void DropEmpty()
    {
        static string? Set(string? value) => string.IsNullOrEmpty(value) ? null : value;
        (ClientId, ClientSecret, Issuer, BotToken) = (Set(ClientId), Set(ClientSecret), Set(Issuer), Set(BotToken));
        (AuthorizationUrl, TokenUrl, RevocationUrl, UserInfoUrl) = (Set(AuthorizationUrl), Set(TokenUrl), Set(RevocationUrl), Set(UserInfoUrl));
        (ApiBaseUrl, AccessibleResourcesUrl, ConnectionsUrl) = (Set(ApiBaseUrl), Set(AccessibleResourcesUrl), Set(ConnectionsUrl));
    }

    /// <summary>Every URL setting by name, set or not: what the outbound policy trusts by name, and what start-up checks.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Urls() =>
    [
        new(nameof(AuthorizationUrl), AuthorizationUrl), new(nameof(TokenUrl), TokenUrl), new(nameof(RevocationUrl), RevocationUrl),
        new(nameof(UserInfoUrl), UserInfoUrl), new(nameof(ApiBaseUrl), ApiBaseUrl), new(nameof(AccessibleResourcesUrl), AccessibleResourcesUrl),
        new(nameof(ConnectionsUrl), ConnectionsUrl),
    ];
}

/// <summary>`Butterbase:Toolkits`: every toolkit's <see cref="ToolkitSettings"/> by slug (case-insensitive, as configuration keys are).</summary>
public sealed class ToolkitSettingsBySlug
{
    public const string Section = "Butterbase:Toolkits";

    /// <summary>Bound from the `Butterbase` section, so this is exactly `Butterbase:Toolkits`.</summary>
    public Dictionary<string, ToolkitSettings> Toolkits { get; } = new(StringComparer.OrdinalIgnoreCase);

    private static readonly ToolkitSettings None = new();

    /// <summary>The toolkit's settings; one shared empty set (never changed) when the operator configured none.</summary>
    public ToolkitSettings For(string slug) => Toolkits.GetValueOrDefault(slug) ?? None;
}

/// <summary>
/// A URL override that is not a URL fails at start, naming the key, instead of at the first connect or execute. A value
/// may be host-relative (`/sandbox/...`, resolved against the public origin) and may hold `{field}` placeholders that a
/// connection's fields fill (`http://{shop}/admin`, `https://{subdomain}.zendesk.com`).
/// </summary>
public sealed class ToolkitSettingsValidation : IValidateOptions<ToolkitSettingsBySlug>
{
    public ValidateOptionsResult Validate(string? name, ToolkitSettingsBySlug options)
    {
        var failures = new List<string>();
        foreach (var (slug, settings) in options.Toolkits)
            foreach (var (key, value) in settings.Urls())
                if (!string.IsNullOrEmpty(value) && !IsUrl(value))
                    // The value is not repeated: a mistyped one may hold a credential (user info, a key in the query).
                    failures.Add($"{ToolkitSettingsBySlug.Section}:{slug}:{key} must be an absolute http(s) URL (e.g. https://github.example.com/api/v3) or a path on the portal (/sandbox/...).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsUrl(string value)
    {
        if (value.StartsWith('/') && !value.StartsWith("//", StringComparison.Ordinal)) return true;
        var filled = System.Text.RegularExpressions.Regex.Replace(value, @"\{[A-Za-z0-9_]+\}", "x");
        // No user info: credentials belong in ClientId/ClientSecret, never in an address the log and policy see.
        return Uri.TryCreate(filled, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0 && uri.UserInfo.Length == 0;
    }
}

public static class ToolkitSettingsSetup
{
    /// <summary>Binds and checks `Butterbase:Toolkits` once, whichever feature asks first (Outbound, Connections, Sandbox).</summary>
    public static IServiceCollection AddToolkitSettings(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<ToolkitSettingsBySlug>))) return services;
        services.AddSingleton<IValidateOptions<ToolkitSettingsBySlug>, ToolkitSettingsValidation>();
        services.AddOptions<ToolkitSettingsBySlug>().BindConfiguration("Butterbase")
            .PostConfigure(o => { foreach (var settings in o.Toolkits.Values) settings.DropEmpty(); }).ValidateOnStart();
        return services;
    }
}
