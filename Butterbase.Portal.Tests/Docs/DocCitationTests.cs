using System.Text.RegularExpressions;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Docs;

/// <summary>
/// Comments and docs cite the repository's own docs (docs/api.md, docs/architecture.md, docs/security.md), never the
/// brief the project was started from, which is not in the repository; and what they cite exists.
/// </summary>
public sealed partial class DocCitationTests
{
    private static readonly string[] Folders = ["Butterbase.Portal", "Butterbase.Portal.Tests", "Butterbase.E2E", "sdk", "tools", "scripts", "bench", "docs", ".ci"];
    private static readonly string[] Extensions = [".cs", ".razor", ".ts", ".mjs", ".js", ".sh", ".md"];

    /// <summary>The brief's documents: its folder, or its four file names in capitals (the repo's are lower-case).</summary>
    [GeneratedRegex(@"shared/docs|\b(?:API|DESIGN|SECURITY|STYLE)\.md\b")]
    private static partial Regex BriefCitation();

    [GeneratedRegex(@"docs/(api|architecture|security)\.md,? ""([^""\n]+)""")]
    private static partial Regex SectionCitation();

    [GeneratedRegex(@"docs/security\.md \[(\d+)\]")]
    private static partial Regex ChecklistCitation();

    private static IEnumerable<string> Sources() =>
        Folders.SelectMany(f => RepositoryFiles.Files(f, Extensions))
            .Append(Path.Combine(RepositoryFiles.Root, "README.md"))
            .Where(f => !f.EndsWith(nameof(DocCitationTests) + ".cs", StringComparison.Ordinal));

    [Fact]
    public void No_comment_or_doc_cites_the_brief_instead_of_the_repositorys_docs()
    {
        var found = Sources().SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line, i)))
            .Where(x => BriefCitation().IsMatch(x.line))
            .Select(x => $"{RepositoryFiles.Relative(x.file)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(found.Count == 0, "Cite docs/api.md, docs/architecture.md or docs/security.md (add the section there) instead of:\n" + string.Join("\n", found));
    }

    [Fact]
    public void Every_cited_docs_section_and_checklist_item_exists()
    {
        var headings = new Dictionary<string, string[]>();
        foreach (var doc in new[] { "api", "architecture", "security" })
            headings[doc] = RepositoryFiles.Read($"docs/{doc}.md").Split('\n').Where(l => l.StartsWith('#')).Select(l => l.TrimStart('#').Trim()).ToArray();
        var security = RepositoryFiles.Read("docs/security.md");

        var broken = new List<string>();
        foreach (var file in Sources())
        {
            var text = File.ReadAllText(file);
            foreach (Match m in SectionCitation().Matches(text))
            {
                var section = m.Groups[2].Value.TrimEnd('…', '.', ' ');
                if (!headings[m.Groups[1].Value].Any(h => h.Contains(section, StringComparison.OrdinalIgnoreCase)))
                    broken.Add($"{RepositoryFiles.Relative(file)}: {m.Value}");
            }
            foreach (Match m in ChecklistCitation().Matches(text))
                if (!Regex.IsMatch(security, $@"^\s*{m.Groups[1].Value}\. ", RegexOptions.Multiline))
                    broken.Add($"{RepositoryFiles.Relative(file)}: {m.Value}");
        }
        Assert.True(broken.Count == 0, "Citations of docs sections or checklist items that do not exist:\n" + string.Join("\n", broken));
    }
}
