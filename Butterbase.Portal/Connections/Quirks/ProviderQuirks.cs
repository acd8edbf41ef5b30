using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>A quirk name the registry does not know: the catalog data names code that does not exist.</summary>
public sealed class UnknownQuirkException(string name)
    : InvalidOperationException($"The catalog names the provider quirk '{name}', which has no implementation (Connections/Quirks, docs/architecture.md).")
{
    public string QuirkName { get; } = name;
}

/// <summary>
/// The closed registry of provider quirks: every <see cref="ProviderQuirk"/> class, by the name the catalog uses.
/// Adding a quirk = one class in this folder + one line in <see cref="All"/> (docs/architecture.md "Adding a provider quirk").
/// An unknown name throws: `QuirkRegistryTests` resolves every name in curated.json and the generated catalog.
/// </summary>
public static class ProviderQuirks
{
    private static readonly ProviderQuirk[] All =
    [
        new TokenAcceptJson(),
        new TokenJsonBody(),
        new SlackV2(),
        new RevokeJsonBasic(),
        new RevokeGitHubGrant(),
        new RevokeDeleteRefreshToken(),
        new RevokeSquare(),
        new UserInfoTokenInPath(),
        new AtlassianCloudId(),
        new MailchimpMetadata(),
        new DocuSignBaseUri(),
        new XeroTenant(),
        new SalesforceInstanceUrl(),
        new QuickBooksRealm(),
        new PipedriveApiDomain(),
        new ShopifyAccessTokenHeader(),
    ];

    private static readonly FrozenDictionary<string, ProviderQuirk> ByName = All.ToFrozenDictionary(q => q.Name, StringComparer.Ordinal);
    private static readonly ConditionalWeakTable<Toolkit, ProviderQuirk[]> OfToolkit = [];

    /// <summary>Every quirk name with code.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>The quirk called <paramref name="name"/>; throws <see cref="UnknownQuirkException"/> when there is none.</summary>
    public static ProviderQuirk Resolve(string name) =>
        ByName.TryGetValue(name, out var quirk) ? quirk : throw new UnknownQuirkException(name);

    /// <summary>The quirks an auth scheme names, in its order.</summary>
    public static ProviderQuirk[] Resolve(IEnumerable<string>? names) => names is null ? [] : names.Select(Resolve).ToArray();

    /// <summary>The quirks of a toolkit's OAuth 2 scheme (none for other schemes), resolved once per toolkit.</summary>
    public static ProviderQuirk[] Of(Toolkit toolkit) =>
        OfToolkit.GetValue(toolkit, t => Resolve(t.Auth.FirstOrDefault(a => a.Type == AuthSchemes.OAuth2)?.Quirks));

    /// <summary>Whether one of the toolkit's quirks reads this answer as a rate limit (only its own provider's answers).</summary>
    public static bool IsRateLimited(Toolkit toolkit, HttpResponseMessage response, JsonNode? body)
    {
        foreach (var quirk in Of(toolkit))
            if (quirk.IsRateLimited(response, body)) return true;
        return false;
    }
}
