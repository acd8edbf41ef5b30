using Butterbase.Bench.Infrastructure;
using Butterbase.Bench.Suites;

// Verbs: each suite is one verb (catalog, connect, execute). Hidden verbs are the child-process
// halves of a suite (catalog-load), started by the suite itself in a fresh process.
ISuite[] suites = [new CatalogSuite(), new ConnectSuite(), new ExecuteSuite(), new FunctionsSuite(), new InstancesSuite(), new McpSuite(), new WebhooksSuite(), new ToolkitPageSuite(), new CatalogLoadProbe(), new RelayProcess()];

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("usage: dotnet run -c Release --project bench/Butterbase.Bench -- <suite> [options]");
    Console.WriteLine();
    foreach (var s in suites.Where(s => !s.Hidden))
        Console.WriteLine($"  {s.Verb,-10} {s.Description}");
    Console.WriteLine();
    Console.WriteLine("options: --key value (see each suite); exit code 0 = every goal met, 1 = a goal missed, 2 = the run failed");
    return args.Length == 0 ? 2 : 0;
}

var suite = suites.FirstOrDefault(s => s.Verb == args[0]);
if (suite is null)
{
    Console.Error.WriteLine($"error: unknown suite '{args[0]}'. Known: {string.Join(", ", suites.Where(s => !s.Hidden).Select(s => s.Verb))}");
    return 2;
}

using var children = new ChildProcesses(); // kills anything the suite started, on every exit path (incl. Ctrl+C)
try
{
    return await suite.RunAsync(BenchOptions.Parse(args[1..]), children);
}
catch (BenchException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
catch (Exception e) // caught so that `children` is disposed: an unhandled exception would skip the clean-up
{
    Console.Error.WriteLine("error: the run failed: " + e);
    return 2;
}
