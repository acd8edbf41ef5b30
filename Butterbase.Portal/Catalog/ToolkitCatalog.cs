using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.IO.Compression;
using System.Text.Json;

namespace Butterbase.Portal.Catalog;

/// <summary>
/// The catalog: 1000+ generated toolkits plus the hand-written curated ones, from embedded resources.
/// The index is parsed once; each generated toolkit's tools stay as raw UTF-8 JSON and are parsed the
/// first time someone asks for them. Search scans a precomputed, lower-cased index (no allocation per toolkit).
/// </summary>
public sealed class ToolkitCatalog
{
    private const string ResourcePrefix = "Butterbase.Portal.Catalog.Data.";
    private readonly FrozenDictionary<string, Toolkit> _bySlug;
    private readonly SearchEntry[] _entries;
    private readonly FrozenDictionary<string, string> _toolkitByTool;
    private readonly Dictionary<string, byte[]> _rawTools;
    private readonly ConcurrentDictionary<string, Lazy<ToolkitTools>> _tools = new();

    public IReadOnlyList<Toolkit> Toolkits { get; }
    public int ToolCount { get; }
    public IReadOnlyList<string> Categories { get; }

    public ToolkitCatalog() : this(typeof(ToolkitCatalog).Assembly) { }

    private ToolkitCatalog(System.Reflection.Assembly assembly)
    {
        var options = ToolkitTools.Options;
        var toolkits = new List<Toolkit>();
        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);

        using (var curatedStream = Open(assembly, "curated.json"))
        using (var curated = JsonDocument.Parse(curatedStream))
        {
            foreach (var element in curated.RootElement.GetProperty("toolkits").EnumerateArray())
            {
                var tools = element.Deserialize<ToolkitTools>(options)!;
                var toolkit = element.Deserialize<Toolkit>(options)! with
                {
                    Curated = true,
                    ToolCount = tools.Tools.Count,
                    ToolNames = tools.Tools.Select(t => t.Name).ToArray(),
                };
                toolkits.Add(toolkit);
                _tools[toolkit.Slug] = new Lazy<ToolkitTools>(tools);
            }
        }
        var curatedSlugs = toolkits.Select(t => t.Slug).ToHashSet(StringComparer.Ordinal);

        using (var index = new GZipStream(Open(assembly, "toolkits.json.gz"), CompressionMode.Decompress))
        using (var document = JsonDocument.Parse(index))
        {
            foreach (var element in document.RootElement.GetProperty("toolkits").EnumerateArray())
            {
                var toolkit = element.Deserialize<Toolkit>(options)!;
                if (!curatedSlugs.Contains(toolkit.Slug)) toolkits.Add(toolkit);
            }
        }

        _rawTools = ReadToolLines(assembly, toolkits.Where(t => !t.Curated).Select(t => t.Slug).ToHashSet(StringComparer.Ordinal));

        foreach (var toolkit in toolkits)
            foreach (var name in toolkit.ToolNames ?? [])
                toolNames.TryAdd(name, toolkit.Slug);

        Toolkits = toolkits.OrderByDescending(t => t.Curated).ThenBy(t => t.Name, StringComparer.OrdinalIgnoreCase).ToList();
        _bySlug = Toolkits.ToFrozenDictionary(t => t.Slug, StringComparer.Ordinal);
        _toolkitByTool = toolNames.ToFrozenDictionary(StringComparer.Ordinal);
        _entries = Toolkits.Select(SearchEntry.For).ToArray();
        ToolCount = Toolkits.Sum(t => t.ToolCount);
        Categories = Toolkits.SelectMany(t => t.Categories).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static Stream Open(System.Reflection.Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(ResourcePrefix + name)
        ?? throw new InvalidOperationException($"The catalog resource {name} is missing from the build.");

    /// <summary>Keeps each generated toolkit's tools line as bytes; only slugs still in the catalog.</summary>
    private static Dictionary<string, byte[]> ReadToolLines(System.Reflection.Assembly assembly, HashSet<string> wanted)
    {
        var lines = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var gzip = new GZipStream(Open(assembly, "tools.ndjson.gz"), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        var all = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        while (all.Length > 0)
        {
            var end = all.IndexOf((byte)'\n');
            var line = end < 0 ? all : all[..end];
            all = end < 0 ? [] : all[(end + 1)..];
            if (line.IsEmpty) continue;
            var reader = new Utf8JsonReader(line);
            string? slug = null;
            // "slug" is the first property of each line (FORMAT.md); read just far enough to find it.
            while (slug is null && reader.Read())
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("slug") && reader.Read())
                    slug = reader.GetString();
            if (slug is not null && wanted.Contains(slug)) lines[slug] = line.ToArray();
        }
        return lines;
    }

    public Toolkit? Find(string slug) => _bySlug.GetValueOrDefault(slug);

    /// <summary>The toolkit a tool belongs to, by tool name.</summary>
    public Toolkit? FindByTool(string toolName) =>
        _toolkitByTool.TryGetValue(toolName, out var slug) ? _bySlug.GetValueOrDefault(slug) : null;

    public ToolkitTools ToolsOf(Toolkit toolkit) =>
        _tools.GetOrAdd(toolkit.Slug, slug => new Lazy<ToolkitTools>(() =>
            _rawTools.TryGetValue(slug, out var raw)
                ? JsonSerializer.Deserialize<ToolkitTools>(raw, ToolkitTools.Options)!
                : new ToolkitTools())).Value;

    public (ToolDefinition Tool, Toolkit Toolkit)? FindTool(string toolName)
    {
        var toolkit = FindByTool(toolName);
        var tool = toolkit is null ? null : ToolsOf(toolkit).Tools.FirstOrDefault(t => t.Name == toolName);
        return tool is null ? null : (tool, toolkit!);
    }

    /// <summary>
    /// Ranked search (docs/api.md "Catalog"): exact slug, then name prefix, then name/alias word match, then description and
    /// tool-name matches; every query word must match something; one typo allowed in words of 4+ letters;
    /// curated toolkits first on ties and when the query is empty.
    /// </summary>
    public List<Toolkit> Search(string? query, string? category = null, string? authScheme = null)
    {
        var q = SearchEntry.Query.From(SearchEntry.Normalize(query));
        var results = new List<(Toolkit Toolkit, int Score)>();
        foreach (var entry in _entries)
        {
            if (category is not null && Array.IndexOf(entry.Toolkit.Categories, category) < 0) continue;
            if (authScheme is not null && Array.IndexOf(entry.AuthSchemes, authScheme) < 0) continue;
            var score = q.Tokens.Length == 0 ? 0 : entry.Score(q);
            if (score < 0) continue;
            results.Add((entry.Toolkit, score + (entry.Toolkit.Curated ? 5 : 0)));
        }
        // Stable sort: equal scores keep the catalog order (curated first, then by name).
        var ranked = new List<Toolkit>(results.Count);
        foreach (var (toolkit, _) in results.OrderByDescending(r => r.Score)) ranked.Add(toolkit);
        return ranked;
    }

    public static string[] AuthSchemeNames(Toolkit toolkit) => toolkit.Auth.Select(a => a.Type).Distinct().ToArray();
}
