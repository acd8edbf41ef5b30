using System.Diagnostics;
using System.Text.Json;
using Butterbase.Bench.Infrastructure;
using Butterbase.Portal.Catalog;

namespace Butterbase.Bench.Suites;

/// <summary>
/// `catalog-load`: the child-process half of the cold-load figure. Constructs the catalog once in this fresh process
/// and prints one JSON line {"ctorMs":…,"toolkits":…,"tools":…}. The catalog suite runs it several times.
/// </summary>
public sealed class CatalogLoadProbe : ISuite
{
    public string Verb => "catalog-load";
    public string Description => "(internal) construct ToolkitCatalog once in this process and print the time as JSON";
    public bool Hidden => true;

    public Task<int> RunAsync(BenchOptions options, ChildProcesses children)
    {
        options.RejectUnknown();
        var start = Stopwatch.GetTimestamp();
        var catalog = new ToolkitCatalog();
        var ms = Samples.MsSince(start);
        Console.WriteLine(JsonSerializer.Serialize(new { ctorMs = ms, toolkits = catalog.Toolkits.Count, tools = catalog.ToolCount }));
        return Task.FromResult(0);
    }
}
