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
}
