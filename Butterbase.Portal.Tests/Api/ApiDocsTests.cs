using System.Text.RegularExpressions;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Api;

/// <summary>
/// docs/api.md is the API as built: every endpoint the running app maps under /v1 has its `### `METHOD /path`` heading,
/// every such heading is a mapped endpoint, and every error code its table lists is still a code the portal's code emits.
/// </summary>
public sealed partial class ApiDocsTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new();
    private static readonly string Docs = RepositoryFiles.Read("docs/api.md");

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [GeneratedRegex(@"^### `(GET|POST|PUT|PATCH|DELETE) (/v1/[^`\s]+)`", RegexOptions.Multiline)]
    private static partial Regex EndpointHeading();

    [GeneratedRegex(@"^\| `([a-z][a-z0-9_]*)` \|", RegexOptions.Multiline)]
    private static partial Regex ErrorCodeRow();

    [GeneratedRegex(@"`[1-5][0-9]{2} ([a-z][a-z0-9_]*)`")]
    private static partial Regex StatusAndCode();

    /// <summary>"METHOD /v1/…" for every endpoint the app maps under /v1 (the portal's own routing, not a copy of it).</summary>
    private HashSet<string> MappedEndpoints()
    {
        _ = _portal.Address; // started, with every feature's endpoints mapped
        var endpoints = _portal.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var mapped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints)
        {
            var path = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            if (!path.StartsWith("/v1/", StringComparison.Ordinal)) continue;
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"];
            foreach (var method in methods) mapped.Add($"{method} {path}");
        }
        return mapped;
    }

    [Fact]
    public void Every_endpoint_mapped_under_v1_has_its_section_in_docs_api_md_and_every_section_is_a_mapped_endpoint()
    {
        var mapped = MappedEndpoints();
        Assert.True(mapped.Count > 30, $"Only {mapped.Count} endpoints under /v1: the enumeration is broken, not the docs.");
        var documented = EndpointHeading().Matches(Docs).Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}").ToHashSet(StringComparer.Ordinal);

        var undocumented = mapped.Except(documented).Order(StringComparer.Ordinal).ToList();
        Assert.True(undocumented.Count == 0, "Mapped but not in docs/api.md (add a `### `METHOD /path`` section): " + string.Join(", ", undocumented));
        var phantom = documented.Except(mapped).Order(StringComparer.Ordinal).ToList();
        Assert.True(phantom.Count == 0, "In docs/api.md but not mapped by the app: " + string.Join(", ", phantom));
    }

    [Fact]
    public void Every_error_code_docs_api_md_lists_is_emitted_by_the_code_and_every_code_it_names_is_in_its_table()
    {
        var table = ErrorCodeRow().Matches(Docs[Docs.IndexOf("\n## Error codes", StringComparison.Ordinal)..]).Select(m => m.Groups[1].Value).ToList();
        Assert.True(table.Count > 40, $"Only {table.Count} rows read from the error-code table.");
        Assert.Equal(table.Order(StringComparer.Ordinal), table); // sorted, so a reader finds a code

        var code = string.Join("\n", RepositoryFiles.Files("Butterbase.Portal", ".cs").Select(File.ReadAllText)
            .Where(text => !text.Contains("public static class ErrorCodes", StringComparison.Ordinal))); // the catalog itself is not "the code emits it"
        var gone = table.Where(c => !code.Contains($"\"{c}\"", StringComparison.Ordinal) && !code.Contains("ErrorCodes." + Pascal(c), StringComparison.Ordinal)).ToList();
        Assert.True(gone.Count == 0, "docs/api.md lists error codes the portal's code no longer contains: " + string.Join(", ", gone));

        var named = StatusAndCode().Matches(Docs).Select(m => m.Groups[1].Value).Distinct().ToList();
        var missing = named.Except(table).ToList();
        Assert.True(missing.Count == 0, "docs/api.md names codes its error-code table lacks: " + string.Join(", ", missing));
    }

    private static string Pascal(string code) => string.Concat(code.Split('_').Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    [GeneratedRegex(@"^\| `([a-z][a-z0-9_]*)` \| ([^|]+?) \| (.+?) \|$", RegexOptions.Multiline)]
    private static partial Regex ErrorCodeRowWithStatus();

    [Fact]
    public void The_error_code_catalog_and_the_docs_api_md_table_list_the_same_codes_with_the_same_statuses_and_meanings()
    {
        var documented = ErrorCodeRowWithStatus().Matches(Docs[Docs.IndexOf("\n## Error codes", StringComparison.Ordinal)..])
            .ToDictionary(m => m.Groups[1].Value, m => (Status: m.Groups[2].Value.Trim(), Meaning: m.Groups[3].Value.Trim()));
        var catalog = Butterbase.Portal.Api.ErrorCodes.All.ToDictionary(e => e.Code);
        Assert.True(catalog.Count > 40, $"Only {catalog.Count} codes in the catalog.");

        var undocumented = catalog.Keys.Except(documented.Keys).Order(StringComparer.Ordinal).ToList();
        Assert.True(undocumented.Count == 0, "In Api/ErrorCodes.cs but not in docs/api.md's table: " + string.Join(", ", undocumented));
        var uncatalogued = documented.Keys.Except(catalog.Keys).Order(StringComparer.Ordinal).ToList();
        Assert.True(uncatalogued.Count == 0, "In docs/api.md's table but not in Api/ErrorCodes.cs: " + string.Join(", ", uncatalogued));
        foreach (var (code, entry) in catalog)
        {
            Assert.True(documented[code].Status == entry.Statuses, $"{code}: docs/api.md says {documented[code].Status}, the catalog {entry.Statuses}");
            Assert.True(documented[code].Meaning == entry.Meaning, $"{code}: docs/api.md and the catalog mean different things");
            // A refusal's status is one of those the row lists (0: a redirect's error= or a bare status only).
            Assert.True(entry.Status == 0 || entry.Statuses.Contains(entry.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)), code);
        }
    }
}
