using System.Security.Cryptography;
using System.Text;
using Butterbase.Portal.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Butterbase.Portal.Catalog;

/// <summary>`GET /available`, `GET /available/{toolkit}`, `GET /tools` (API key or end-user JWT) and the logos.</summary>
public static class CatalogApi
{
    public static RouteGroupBuilder MapCatalogApi(this RouteGroupBuilder integrations)
    {
        integrations.MapGet("/available", SearchToolkits);
        integrations.MapGet("/available/{toolkit}", GetToolkit);
        integrations.MapGet("/tools", ListTools);
        return integrations;
    }

    public static void MapCatalogLogos(this IEndpointRouteBuilder app) =>
        app.MapGet("/catalog/logos/{slug}.svg", Logo).ExcludeFromDescription();

    public sealed record ToolkitItem(string Slug, string Name, string Description, string[] Categories, string LogoUrl,
        string[] AuthSchemes, int ToolCount, bool Curated, bool Enabled);

    public sealed record ToolkitDetail(string Slug, string Name, string Description, string[] Categories, string LogoUrl,
        string[] AuthSchemes, int ToolCount, bool Curated, bool Enabled, string ApiBaseUrl, AuthDetail Auth, ToolkitOrigin? Origin);

    public sealed record AuthDetail(string DefaultScheme, IReadOnlyList<SchemeDetail> Schemes, IReadOnlyList<FieldDetail> Fields);

    public sealed record SchemeDetail(string Type, IReadOnlyList<ScopeDetail> Scopes, string[] DefaultScopes, bool Pkce, bool Refresh,
        string? AuthorizationUrl, string? TokenUrl, string? In, string? Name);

    public sealed record ScopeDetail(string Name, string Description);

    public sealed record FieldDetail(string Name, string Label, bool Required, bool Secret);

    public sealed record ToolItem(string Name, string Toolkit, string DisplayName, string Description,
        System.Text.Json.Nodes.JsonObject Parameters, System.Text.Json.Nodes.JsonNode? Response, string[] Scopes, bool Deprecated,
        string Origin, string? Source, bool ReadOnly);

    public static ToolkitItem Item(Toolkit t, bool enabled) => new(t.Slug, t.Name, t.Description, t.Categories, LogoUrl(t),
        ToolkitCatalog.AuthSchemeNames(t), t.ToolCount, t.Curated, enabled);

    public static string LogoUrl(Toolkit t) => $"/catalog/logos/{t.Slug}.svg";

    public static async Task<Results<JsonHttpResult<Page<ToolkitItem>>, JsonHttpResult<ApiError>>> SearchToolkits(
        string appId, ToolkitCatalog catalog, Toolkits.ToolkitConfigs configs, string? search, string? category, string? authScheme, int? limit, int? offset,
        CancellationToken ct)
    {
        var (take, skip, problems) = Paging.Read(limit, offset);
        if (search?.Length > 200) problems.Add(new("search", "Search for at most 200 characters."));
        if (problems.Count > 0) return ApiErrors.Validation(problems);
        var found = catalog.Search(search, NullIfEmpty(category), NullIfEmpty(authScheme));
        var page = Paging.Of(found, take, skip);
        var enabled = await configs.EnabledSlugsAsync(appId, ct);
        return TypedResults.Json(new Page<ToolkitItem>(page.Items.Select(t => Item(t, enabled.Contains(t.Slug))).ToList(), page.Total, page.Limit, page.Offset), ApiJson.Snake);
    }

    public static async Task<Results<JsonHttpResult<ToolkitDetail>, JsonHttpResult<ApiError>>> GetToolkit(
        string appId, ToolkitCatalog catalog, Toolkits.ToolkitConfigs configs, string toolkit, CancellationToken ct)
    {
        var t = catalog.Find(toolkit);
        if (t is null) return ApiErrors.NotFound(ErrorCodes.UnknownToolkit, $"There is no toolkit '{toolkit}'. Search the catalog with GET /available.");
        return TypedResults.Json(Detail(t, (await configs.EnabledSlugsAsync(appId, ct)).Contains(t.Slug)), ApiJson.Snake);
    }

    public static ToolkitDetail Detail(Toolkit t, bool enabled) => new(
        t.Slug, t.Name, t.Description, t.Categories, LogoUrl(t), ToolkitCatalog.AuthSchemeNames(t), t.ToolCount, t.Curated, enabled,
        t.ApiBaseUrl,
        new AuthDetail(t.DefaultAuth.Type,
            t.Auth.Select(a => new SchemeDetail(a.Type,
                (a.Scopes ?? []).Select(s => new ScopeDetail(s.Key, s.Value)).ToList(),
                a.DefaultScopes ?? [], a.Pkce, a.Refresh,
                a.AuthorizationUrl, a.TokenUrl, a.In, a.Name)).ToList(),
            (t.Fields ?? []).Where(f => f.In is null || f.Secret || f.Required)
                .Select(f => new FieldDetail(f.Name, f.Label, f.Required, f.Secret)).ToList()),
        t.Origin);

    /// <summary>
    /// A toolkit's tools, or with `search` and no toolkit, the best matches across the app's enabled toolkits
    /// (<see cref="ToolSearch"/>); each says whether it is hand-made (`curated`) or generated from a spec, and whether it only reads.
    /// </summary>
    public static async Task<Results<JsonHttpResult<Page<ToolItem>>, JsonHttpResult<ApiError>>> ListTools(
        string appId, ToolkitCatalog catalog, Toolkits.ToolkitConfigs configs, string? toolkit, string? search, int? limit, int? offset, CancellationToken ct)
    {
        var (take, skip, problems) = Paging.Read(limit, offset);
        if (string.IsNullOrWhiteSpace(toolkit) && string.IsNullOrWhiteSpace(search))
            problems.Add(new("toolkit", "Name the toolkit whose tools to list (?toolkit=gmail), or search across your enabled toolkits (?search=send email)."));
        if (search?.Length > 200) problems.Add(new("search", "Search for at most 200 characters."));
        if (problems.Count > 0) return ApiErrors.Validation(problems);
        List<Toolkit> scope;
        if (!string.IsNullOrWhiteSpace(toolkit))
        {
            var t = catalog.Find(toolkit);
            if (t is null) return ApiErrors.NotFound(ErrorCodes.UnknownToolkit, $"There is no toolkit '{toolkit}'. Search the catalog with GET /available.");
            scope = [t];
        }
        else
        {
            var enabled = await configs.EnabledSlugsAsync(appId, ct);
            scope = enabled.Select(catalog.Find).OfType<Toolkit>().OrderByDescending(t => t.Curated).ThenBy(t => t.Slug, StringComparer.Ordinal).ToList();
        }
        var ranked = ToolSearch.Rank(catalog, scope, search, int.MaxValue);
        var page = Paging.Of(ranked, take, skip);
        var items = page.Items.Select(h => Item(catalog, h.Toolkit, h.Tool)).ToList();
        return TypedResults.Json(new Page<ToolItem>(items, page.Total, page.Limit, page.Offset), ApiJson.Snake);
    }

    public static ToolItem Item(ToolkitCatalog catalog, Toolkit toolkit, ToolDefinition tool) => new(tool.Name, toolkit.Slug, tool.DisplayName,
        tool.Description, ToolSchemas.WithDefs(tool, catalog.ToolsOf(toolkit).Defs), tool.Response, tool.Scopes, tool.Deprecated,
        tool.Origin, tool.Source, tool.IsReadOnly);

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>The toolkit's simple-icons SVG, or a generated monogram; never a hotlinked vendor image.</summary>
    public static IResult Logo(ToolkitCatalog catalog, string slug, HttpContext http)
    {
        var t = catalog.Find(slug);
        if (t is null) return Results.NotFound();
        http.Response.Headers.CacheControl = "public, max-age=86400";
        // Served as a document of its own: no scripts, whatever the data says.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";
        return Results.Text(t.Logo is { Length: > 0 } svg ? Colored(svg) : Monogram(t), "image/svg+xml");
    }

    private static string Colored(string svg) =>
        svg.Contains("fill=", StringComparison.Ordinal) ? svg : svg.Replace("<svg ", "<svg fill=\"#3f3d56\" ", StringComparison.Ordinal);

    public static string Monogram(Toolkit t)
    {
        var letters = string.Concat(t.Name.Split([' ', '-', '.'], StringSplitOptions.RemoveEmptyEntries).Where(w => char.IsLetterOrDigit(w[0])).Take(2).Select(w => char.ToUpperInvariant(w[0])));
        if (letters.Length == 0) letters = "?";
        var hue = SHA256.HashData(Encoding.UTF8.GetBytes(t.Slug))[0] * 360 / 256;
        return $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 24 24\"><rect width=\"24\" height=\"24\" rx=\"5\" fill=\"hsl({hue},55%,45%)\"/>" +
               $"<text x=\"12\" y=\"16\" font-family=\"Arial,sans-serif\" font-size=\"{(letters.Length > 1 ? 10 : 12)}\" font-weight=\"700\" fill=\"#fff\" text-anchor=\"middle\">{System.Net.WebUtility.HtmlEncode(letters)}</text></svg>";
    }
}
