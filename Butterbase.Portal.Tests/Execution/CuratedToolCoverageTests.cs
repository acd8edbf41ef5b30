using Butterbase.Portal.Catalog;
using Butterbase.Portal.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>Every coded tool in the catalog has an implementation registered, so none answers not_implemented.</summary>
public sealed class CuratedToolCoverageTests
{
    [Fact]
    public void Every_coded_catalog_tool_has_exactly_one_registered_implementation_and_every_implementation_a_coded_tool()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddExecution();
        using var provider = services.BuildServiceProvider();
        var implemented = provider.GetServices<CodedTool>().SelectMany(t => t.Names).ToList();

        var catalog = new ToolkitCatalog();
        var coded = catalog.Toolkits.Where(t => t.Curated).SelectMany(t => catalog.ToolsOf(t).Tools).Where(t => t.Kind == "coded").Select(t => t.Name).ToList();
        Assert.NotEmpty(coded);
        Assert.Empty(coded.Except(implemented));
        Assert.Equal(implemented.Count, implemented.Distinct().Count());
        Assert.All(implemented, name => Assert.Equal("coded", catalog.FindTool(name)?.Tool.Kind));
    }

    /// <summary>The seed's ten curated toolkits (issue 14 "curated depth"); toolkits curated later set their own bar.</summary>
    private static readonly string[] Seed = ["gmail", "google-calendar", "slack", "google-sheets", "notion", "github", "hubspot", "outlook", "google-drive", "discord"];

    [Fact]
    public void Every_seed_curated_toolkit_has_at_least_ten_hand_made_tools()
    {
        var catalog = new ToolkitCatalog();
        Assert.All(Seed, slug => Assert.True(catalog.Find(slug)?.Curated, slug));
        var thin = catalog.Toolkits.Where(t => t.Curated && Seed.Contains(t.Slug))
            .Select(t => (t.Slug, Count: catalog.ToolsOf(t).Tools.Count(tool => tool.Origin == "curated"))).Where(t => t.Count < 10).ToList();
        Assert.True(thin.Count == 0, "Curated toolkits with fewer than 10 hand-made tools: " + string.Join(", ", thin));
    }

    /// <summary>
    /// Each hand-made tool of every curated toolkit is run by a test against its stand-in (issue 14): its name appears as a
    /// string literal in this project's test sources. A tool added to curated.json without a test fails here.
    /// </summary>
    [Fact]
    public void Every_hand_made_tool_is_named_in_a_test()
    {
        var project = new DirectoryInfo(AppContext.BaseDirectory);
        while (project is not null && !File.Exists(Path.Combine(project.FullName, "Butterbase.Portal.Tests.csproj"))) project = project.Parent;
        Assert.NotNull(project);
        var sources = string.Concat(Directory.EnumerateFiles(project.FullName, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(File.ReadAllText));
        var catalog = new ToolkitCatalog();
        // Every curated toolkit's hand-made tools; the generated operations merged behind them are the spec's, not ours.
        var handMade = catalog.Toolkits.Where(t => t.Curated).SelectMany(t => catalog.ToolsOf(t).Tools).Where(t => t.Origin == "curated").Select(t => t.Name).ToList();
        Assert.True(handMade.Count > 250, $"{handMade.Count} hand-made tools");
        var untested = handMade.Where(name => !sources.Contains('"' + name + '"')).ToList();
        Assert.True(untested.Count == 0, "Curated tools no test names: " + string.Join(", ", untested));
    }
}

/// <summary>
/// A user who connects with the toolkit's default scopes can run every hand-made tool that only reads: reading needs no
/// reconnect (writes beyond the defaults ask for their scope through the reconnect link, by design: least privilege).
/// </summary>
public sealed class DefaultScopeTests
{
    [Fact]
    public void The_default_scopes_of_every_curated_oauth_toolkit_cover_its_hand_made_read_only_tools()
    {
        var catalog = new ToolkitCatalog();
        var uncovered = new List<string>();
        foreach (var toolkit in catalog.Toolkits.Where(t => t.Curated))
        {
            if (toolkit.Auth.FirstOrDefault(a => a.Type == "oauth2") is not { DefaultScopes.Length: > 0 } oauth) continue;
            foreach (var tool in catalog.ToolsOf(toolkit).Tools.Where(t => t.Origin == "curated" && t.IsReadOnly))
                if (ToolScopes.Missing(tool, oauth.DefaultScopes) is { } missing)
                    uncovered.Add($"{tool.Name} ({string.Join(" | ", missing)})");
        }
        Assert.True(uncovered.Count == 0, "Read-only tools the default scopes do not cover: " + string.Join(", ", uncovered));
    }
}
