namespace Butterbase.Bench.Infrastructure;

/// <summary>One benchmark verb. Add a suite by implementing this and listing it in Program.cs.</summary>
public interface ISuite
{
    string Verb { get; }
    string Description { get; }
    /// <summary>Child-process helpers: runnable, but not listed in the help.</summary>
    bool Hidden => false;
    /// <returns>0 when every goal is met, 1 when one is missed, 2 when the run itself failed.</returns>
    Task<int> RunAsync(BenchOptions options, ChildProcesses children);
}

/// <summary>A failure of the run itself (not a missed goal): reported on stderr, exit code 2.</summary>
public sealed class BenchException(string message) : Exception(message);
