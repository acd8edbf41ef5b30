using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Butterbase.Portal.Tests.Support;

/// <summary>
/// Opt-in diagnostic for "a request got no answer within 30 s" flakes: every portal these tests start shares one thread
/// pool, so one test that holds pool threads stalls every other test's server. With <c>BUTTERBASE_TEST_STALL_LOG=path</c>
/// a thread of its own queues a no-op on the pool every 100 ms and appends a line to that file whenever it waited over a
/// second; past four seconds it also appends every thread's stack (when <c>dotnet-stack</c> is on the PATH), which
/// names the culprit. This found the catalog test's <c>Parallel.ForEach</c> (pool work items waiting 8–25 s).
/// </summary>
internal static class StallProbe
{
    [ModuleInitializer]
    internal static void Start()
    {
        var log = Environment.GetEnvironmentVariable("BUTTERBASE_TEST_STALL_LOG");
        if (string.IsNullOrEmpty(log)) return;
        new Thread(() => Watch(log)) { IsBackground = true, Name = "stall probe" }.Start();
    }

    private static void Watch(string log)
    {
        using var ran = new ManualResetEventSlim();
        while (true)
        {
            ran.Reset();
            var waited = Stopwatch.StartNew();
            ThreadPool.UnsafeQueueUserWorkItem(static e => e.Set(), ran, preferLocal: false);
            if (!ran.Wait(4000))
            {
                File.AppendAllText(log, $"{DateTime.UtcNow:HH:mm:ss.fff} pool stalled 4 s: threads={ThreadPool.ThreadCount} pending={ThreadPool.PendingWorkItemCount}\n{Stacks()}\n");
                ran.Wait();
            }
            if (waited.ElapsedMilliseconds > 1000)
                File.AppendAllText(log, $"{DateTime.UtcNow:HH:mm:ss.fff} pool work item waited {waited.ElapsedMilliseconds} ms: threads={ThreadPool.ThreadCount} pending={ThreadPool.PendingWorkItemCount}\n");
            Thread.Sleep(100);
        }
    }

    private static string Stacks()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("dotnet-stack", $"report -p {Environment.ProcessId}") { RedirectStandardOutput = true })!;
            return process.StandardOutput.ReadToEnd();
        }
        catch (Exception e) { return $"(no stacks: {e.Message}; install with 'dotnet tool install -g dotnet-stack')"; }
    }
}
