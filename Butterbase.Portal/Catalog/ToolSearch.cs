using System.Runtime.CompilerServices;

namespace Butterbase.Portal.Catalog;

/// <summary>
/// Ranks tools for a query, within one toolkit or across several (`GET /tools?search=`, MCP's `search_tools`): each query
/// word scores where it matches — a word of the tool's name (8), its display name (4), the toolkit's name or slug (3),
/// its description (1) — plurals folded ("issues" finds "issue"). Tools matching every word come first, then by score,
/// then curated before generated; a tool matching no word is left out. An empty query keeps the catalog order.
/// </summary>
public static class ToolSearch
{
    public sealed record Hit(ToolDefinition Tool, Toolkit Toolkit, int Score);

    // The lower-cased words of each tool, computed once per tool (the catalog is immutable while the host runs).
    private static readonly ConditionalWeakTable<ToolDefinition, Text> Texts = new();

    private sealed record Text(HashSet<string> Name, HashSet<string> Display, string Description);

    public static List<Hit> Rank(ToolkitCatalog catalog, IEnumerable<Toolkit> toolkits, string? query, int limit,
        Func<Toolkit, ToolDefinition, bool>? allowed = null)
    {
        // At most 8 distinct words: ranking is linear in words × tools, and a query is a phrase, not a document.
        var words = SearchEntry.Tokens(SearchEntry.Normalize(query)).Select(Fold).Distinct().Take(8).ToArray();
        var spaced = words.Select(w => " " + w).ToArray();
        var hits = new List<(Hit Hit, int Matched)>();
        foreach (var toolkit in toolkits)
        {
            var toolkitWords = SearchEntry.Tokens(SearchEntry.Normalize(toolkit.Name)).Concat(toolkit.Slug.Split('-')).Select(Fold).ToHashSet();
            foreach (var tool in catalog.ToolsOf(toolkit).Tools)
            {
                if (allowed is not null && !allowed(toolkit, tool)) continue;
                if (words.Length == 0) { hits.Add((new Hit(tool, toolkit, 0), 0)); continue; }
                var text = Texts.GetValue(tool, For);
                int score = 0, matched = 0;
                for (var i = 0; i < words.Length; i++)
                {
                    var w = words[i];
                    var s = text.Name.Contains(w) ? 8 : text.Display.Contains(w) ? 4 : toolkitWords.Contains(w) ? 3
                        : text.Description.Contains(spaced[i], StringComparison.Ordinal) ? 1 : 0;
                    if (s > 0) { score += s; matched++; }
                }
                if (matched > 0) hits.Add((new Hit(tool, toolkit, score), matched));
            }
        }
        if (words.Length == 0) return hits.Take(limit).Select(h => h.Hit).ToList();
        // Stable: equal ranks keep the catalog order (curated toolkits first, then each toolkit's own order).
        return hits.OrderByDescending(h => h.Matched).ThenByDescending(h => h.Hit.Score).ThenByDescending(h => h.Hit.Toolkit.Curated)
            .Take(limit).Select(h => h.Hit).ToList();
    }

    private static Text For(ToolDefinition tool) => new(
        SearchEntry.Tokens(SearchEntry.Normalize(tool.Name.Replace('_', ' '))).Select(Fold).ToHashSet(),
        SearchEntry.Tokens(SearchEntry.Normalize(tool.DisplayName)).Select(Fold).ToHashSet(),
        " " + string.Join(' ', SearchEntry.Tokens(SearchEntry.Normalize(tool.Description)).Select(Fold)) + " ");

    /// <summary>"issues" → "issue", "messages" → "message"; short words stay ("gas", "us").</summary>
    private static string Fold(string word) => word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) ? word[..^1] : word;
}
