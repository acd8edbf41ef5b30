namespace Butterbase.Portal.Catalog;

/// <summary>A toolkit's searchable text, lower-cased once at load.</summary>
internal sealed class SearchEntry
{
    public required Toolkit Toolkit { get; init; }
    public required string Slug { get; init; }
    /// <summary>The slug without dashes ("googlecalendar"), matched against a query without spaces.</summary>
    public required string CompactSlug { get; init; }
    public required string Name { get; init; }
    /// <summary>The name and the aliases: other names people know the toolkit by ("crm" for HubSpot).</summary>
    public required string[] Names { get; init; }
    public required string[] Words { get; init; }
    public required string[] Categories { get; init; }
    public required string Description { get; init; }
    /// <summary>Tool names, lower case, underscores as spaces, joined: " create issue  list repos ...".</summary>
    public required string ToolText { get; init; }
    public required string[] AuthSchemes { get; init; }

    public static SearchEntry For(Toolkit t)
    {
        var name = Normalize(t.Name);
        var words = Tokens(name)
            .Concat((t.Aliases ?? []).SelectMany(a => Tokens(Normalize(a))))
            .Concat((t.Aliases ?? []).Select(a => Normalize(a).Replace(" ", "")))
            .Concat(t.Slug.Split('-'))
            .Append(t.Slug.Replace("-", ""))
            .Where(w => w.Length > 0).Distinct().ToArray();
        var prefix = t.Slug.Replace('-', '_').ToUpperInvariant() + "_";
        var toolText = " " + string.Join("  ", (t.ToolNames ?? []).Select(n =>
            (n.StartsWith(prefix, StringComparison.Ordinal) ? n[prefix.Length..] : n).ToLowerInvariant().Replace('_', ' '))) + " ";
        return new SearchEntry
        {
            Toolkit = t,
            Slug = t.Slug,
            CompactSlug = t.Slug.Replace("-", ""),
            Name = name,
            Names = [name, .. (t.Aliases ?? []).Select(Normalize)],
            Words = words,
            Categories = t.Categories.Select(c => c.Replace('_', ' ')).ToArray(),
            Description = " " + Normalize(t.Description) + " ",
            ToolText = toolText,
            AuthSchemes = ToolkitCatalog.AuthSchemeNames(t),
        };
    }

    public static string Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        Span<char> buffer = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        var n = 0;
        var space = true;
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c)) { buffer[n++] = char.ToLowerInvariant(c); space = false; }
            else if (!space) { buffer[n++] = ' '; space = true; }
        }
        return new string(buffer[..n]).TrimEnd();
    }

    public static string[] Tokens(string normalized) => normalized.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A normalised query with the forms every entry compares against, computed once per search.</summary>
    public readonly record struct Query(string Text, string Dashed, string Compact, string[] Tokens, string[] Stems)
    {
        public static Query From(string normalized)
        {
            var tokens = SearchEntry.Tokens(normalized);
            // "issues" finds CREATE_ISSUE: a plural's stem is matched in descriptions and tool names.
            var stems = tokens.Select(t => t.Length > 3 && t.EndsWith('s') ? t[..^1] : t).ToArray();
            return new(normalized, normalized.Replace(' ', '-'), normalized.Replace(" ", ""), tokens, stems);
        }
    }

    /// <summary>-1 when some query word matches nothing; higher is better.</summary>
    public int Score(in Query query)
    {
        var score = 0;
        if (Slug == query.Dashed || CompactSlug == query.Compact) score += 10_000;
        else if (Array.IndexOf(Names, query.Text) >= 0) score += 9_000;
        else if (AnyNameStartsWith(query.Text)) score += 5_000;
        for (var i = 0; i < query.Tokens.Length; i++)
        {
            var best = TokenScore(query.Tokens[i], query.Stems[i]);
            if (best == 0) return -1;
            score += best;
        }
        return score;
    }

    private bool AnyNameStartsWith(string text)
    {
        foreach (var name in Names)
            if (name.StartsWith(text, StringComparison.Ordinal)) return true;
        return false;
    }

    private int TokenScore(string token, string stem)
    {
        var best = 0;
        foreach (var word in Words)
        {
            if (word == token) return 1_000;
            if (word.StartsWith(token, StringComparison.Ordinal)) best = Math.Max(best, 700);
            else if (token.Length >= 4 && Math.Abs(word.Length - token.Length) <= 1 && WithinOneEdit(word, token)) best = Math.Max(best, 400);
        }
        if (best > 0) return best;
        foreach (var c in Categories)
            if (c == token || (c.Length > token.Length && c[token.Length] == ' ' && c.StartsWith(token, StringComparison.Ordinal))) return 300;
        if (ContainsWord(Description, stem)) return 200;
        if (ContainsWord(ToolText, stem)) return 150;
        return 0;
    }

    /// <summary>True when <paramref name="word"/> occurs in the space-padded text at a word start.</summary>
    private static bool ContainsWord(string text, string word)
    {
        var at = 0;
        while ((at = text.IndexOf(word, at, StringComparison.Ordinal)) >= 0)
        {
            if (at > 0 && text[at - 1] == ' ') return true;
            at++;
        }
        return false;
    }

    /// <summary>Damerau–Levenshtein distance ≤ 1 (one insertion, deletion, substitution or transposition).</summary>
    internal static bool WithinOneEdit(string a, string b)
    {
        if (a == b) return true;
        if (a.Length > b.Length) (a, b) = (b, a);
        if (b.Length - a.Length > 1) return false;
        var i = 0;
        while (i < a.Length && a[i] == b[i]) i++;
        if (a.Length == b.Length)
        {
            if (i + 1 < a.Length && a[i] == b[i + 1] && a[i + 1] == b[i] && a.AsSpan(i + 2).SequenceEqual(b.AsSpan(i + 2))) return true;
            return a.AsSpan(i + 1).SequenceEqual(b.AsSpan(i + 1));
        }
        return a.AsSpan(i).SequenceEqual(b.AsSpan(i + 1));
    }
}
