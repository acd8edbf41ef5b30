namespace Butterbase.Portal.Functions;

/// <summary>`Butterbase:Functions:*`: what one invocation may use, and the worker pool that runs them (docs/architecture.md, "Functions").</summary>
public sealed class FunctionLimits
{
    public const string Section = "Butterbase:Functions";

    public int DefaultTimeoutMs { get; set; } = 10_000;
    public int MaxTimeoutMs { get; set; } = 30_000;
    /// <summary>V8 heap of the isolate an invocation runs in; past it the worker process aborts and only that invocation fails.</summary>
    public int HeapMb { get; set; } = 128;
    /// <summary>Resident memory of a worker process (heap, array buffers, the runtime itself): past it the process is killed.</summary>
    public int MaxWorkerMemoryMb { get; set; } = 384;
    /// <summary>
    /// CPU an invocation may use at normal priority while its app runs more invocations at once than there are cores; past
    /// it its process drops to the lowest scheduling priority (nice 19), so one app's busy handlers cannot slow other apps'
    /// invocations or the API, and the process is replaced afterwards.
    /// </summary>
    public int DemoteAfterCpuMs { get; set; } = 100;
    /// <summary>
    /// CPU a worker process may use in a 20 ms look after an invocation ends, with no isolate running: a terminated
    /// isolate's native work (WebCrypto, pbkdf2 on the runtime's threads) can go on, so a process over it exits and is
    /// replaced rather than reused. -1 replaces every process after each invocation.
    /// </summary>
    public int IdleWorkerCpuMs { get; set; } = 12;
    /// <summary>Idle worker processes kept warm (each with an isolate ready); 0 = the number of cores.</summary>
    public int Workers { get; set; }
    /// <summary>Worker processes at most (one invocation each at a time): beyond it invocations wait for a free one.</summary>
    public int MaxWorkers { get; set; } = 32;
    /// <summary>Start the warm workers when the host starts (otherwise at the first invocation).</summary>
    public bool PrewarmAtStart { get; set; } = true;
    /// <summary>The deno binary; by default the one the build installs from the npm package `deno` under Functions/Runtime.</summary>
    public string? DenoPath { get; set; }
    /// <summary>Where supervisor.js and the deploy check live; by default the source tree's Functions/Runtime.</summary>
    public string? RuntimeDirectory { get; set; }
    public int MaxResponseBytes { get; set; } = 6 * 1024 * 1024;
    public int MaxToolCallsPerInvocation { get; set; } = 1000;
    public int MaxLogLines { get; set; } = 200;
    public int MaxLogBytes { get; set; } = 64 * 1024;
    public int MaxCodeBytes { get; set; } = 256 * 1024;
    public int MaxConcurrentPerApp { get; set; } = 16;

    public int WarmWorkers => Workers > 0 ? Workers : Environment.ProcessorCount;
}
