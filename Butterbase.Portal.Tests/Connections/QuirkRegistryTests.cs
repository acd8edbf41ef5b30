using System.IO.Compression;
using System.Text.Json;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections.Quirks;

namespace Butterbase.Portal.Tests.Connections;

/// <summary>
/// The quirk registry is closed: every quirk the catalog data names (curated.json and the generated toolkits.json.gz,
/// read as the portal embeds them) resolves to a class, and an unknown name is an error, never silently ignored.
/// </summary>
public sealed class QuirkRegistryTests
{
    private const string Prefix = "Butterbase.Portal.Catalog.Data.";

    /// <summary>Every (toolkit, quirk name) pair in the embedded data files, read raw (not through the catalog's model).</summary>
    private static List<(string Toolkit, string Quirk)> NamedInData()
    {
        var assembly = typeof(ToolkitCatalog).Assembly;
        var named = new List<(string, string)>();
        void Read(JsonElement root)
        {
            foreach (var toolkit in root.GetProperty("toolkits").EnumerateArray())
                foreach (var scheme in toolkit.TryGetProperty("auth", out var auth) ? auth.EnumerateArray() : default)
                    if (scheme.TryGetProperty("quirks", out var quirks))
                        foreach (var quirk in quirks.EnumerateArray()) named.Add((toolkit.GetProperty("slug").GetString()!, quirk.GetString()!));
        }
        using (var curated = JsonDocument.Parse(assembly.GetManifestResourceStream(Prefix + "curated.json")!)) Read(curated.RootElement);
        using (var gzip = new GZipStream(assembly.GetManifestResourceStream(Prefix + "toolkits.json.gz")!, CompressionMode.Decompress))
        using (var generated = JsonDocument.Parse(gzip)) Read(generated.RootElement);
        return named;
    }

    [Fact]
    public void Every_quirk_named_in_curated_and_generated_data_has_a_class()
    {
        var named = NamedInData();
        Assert.Contains(named, n => n.Quirk == "atlassian_cloudid"); // the reader sees the generated file too
        Assert.Contains(named, n => n.Quirk == "slack_v2");
        var unknown = named.Where(n => !ProviderQuirks.Names.Contains(n.Quirk)).Select(n => $"{n.Toolkit}: {n.Quirk}").ToList();
        Assert.True(unknown.Count == 0, "Quirks named in the data without code: " + string.Join(", ", unknown));
        foreach (var (_, quirk) in named) Assert.Equal(quirk, ProviderQuirks.Resolve(quirk).Name);
    }

    [Fact]
    public void Every_loaded_oauth_toolkit_resolves_its_quirks()
    {
        var catalog = new ToolkitCatalog();
        var withQuirks = catalog.Toolkits.Where(t => t.Auth.Any(a => a.Quirks is { Length: > 0 })).ToList();
        Assert.NotEmpty(withQuirks);
        foreach (var toolkit in withQuirks)
            Assert.Equal(toolkit.Auth.First(a => a.Type == "oauth2").Quirks!.Length, ProviderQuirks.Of(toolkit).Length);
    }

    [Fact]
    public void An_unknown_quirk_name_is_an_error_naming_it()
    {
        var error = Assert.Throws<UnknownQuirkException>(() => ProviderQuirks.Resolve(["slack_v2", "revoke_by_carrier_pigeon"]));
        Assert.Equal("revoke_by_carrier_pigeon", error.QuirkName);
        Assert.Contains("revoke_by_carrier_pigeon", error.Message);
    }

    [Fact]
    public void Names_are_unique_and_in_the_catalogs_snake_case()
    {
        Assert.All(ProviderQuirks.Names, n => Assert.Matches("^[a-z0-9]+(_[a-z0-9]+)*$", n));
        Assert.True(ProviderQuirks.Names.Count >= 14);
    }
}
