using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Functions;

/// <summary>
/// The supervised pool of Deno worker processes that run functions (docs/architecture.md, "Functions"). Each process
/// runs one invocation at a time in a fresh isolate with every permission denied, so a handler that overflows its heap,
/// crashes V8 or spins takes down only its own process and invocation. The pool keeps <see cref="FunctionLimits.WarmWorkers"/>
/// processes idle and warm, starts more on demand up to <see cref="FunctionLimits.MaxWorkers"/>, replaces any that exit,
/// and every 50 ms checks them: a busy one over its memory is killed, one past its CPU allowance drops to nice 19, an
/// idle one that keeps using CPU (native work its last invocation left) is replaced.
/// </summary>
public sealed class FunctionWorkerPool : IHostedService, IAsyncDisposable
{
    private readonly FunctionLimits _limits;
    private readonly ILogger<FunctionWorkerPool> _logger;
    private readonly string _deno, _supervisor;
    private readonly string _denoDir = Path.Combine(Path.GetTempPath(), "butterbase-functions-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Channel<FunctionWorker> _idle = Channel.CreateUnbounded<FunctionWorker>();
    private readonly ConcurrentDictionary<string, FunctionWorker> _connecting = new();
    private readonly ConcurrentDictionary<string, FunctionWorker> _workers = new(); // by token
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private TcpListener? _listener;
    private Timer? _monitor;
    private int _starting, _waiting;
    private bool _started, _disposed;

    public FunctionWorkerPool(IOptions<FunctionLimits> options, IHostEnvironment environment, ILogger<FunctionWorkerPool> logger)
    {
        _limits = options.Value;
        _logger = logger;
        var runtime = RuntimeDirectory(_limits, environment);
        _supervisor = Path.Combine(runtime, "supervisor.js");
        _deno = _limits.DenoPath ?? Path.Combine(runtime, "node_modules", "@deno", RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64-glibc" : "linux-x64-glibc", "deno");
        LintConfig = Path.Combine(runtime, "lint.json");
    }

    public string LintConfig { get; }

    /// <summary>
    /// A deno process with nothing of the host's environment (connection strings, keys), its own DENO_DIR and HOME, and
    /// stdio redirected: the worker processes and the deploy check start the same way.
    /// </summary>
    internal ProcessStartInfo DenoStartInfo(string directory, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(_deno)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment.Clear();
        start.Environment["DENO_DIR"] = directory;
        start.Environment["HOME"] = directory;
        start.Environment["NO_COLOR"] = "1";
        start.Environment["DENO_NO_UPDATE_CHECK"] = "1";
        return start;
    }

    /// <summary>Functions/Runtime: from configuration, the content root (source tree), or the source path recorded at build time.</summary>
    private static string RuntimeDirectory(FunctionLimits limits, IHostEnvironment environment)
    {
        if (limits.RuntimeDirectory is { Length: > 0 } configured) return configured;
        var candidates = new List<string> { Path.Combine(environment.ContentRootPath, "Functions", "Runtime") };
        var built = typeof(FunctionWorkerPool).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "ButterbaseFunctionsRuntime")?.Value;
        if (built is not null) candidates.Add(built);
        return candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, "supervisor.js"))) ?? candidates[0];
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_deno))
            throw new InvalidOperationException(
                $"Functions need Deno, and it is not installed at {_deno}. Building the portal installs it (npm package deno@2.9.6 into " +
                "Butterbase.Portal/Functions/Runtime; needs npm): run `dotnet build Butterbase.Portal`, or set Butterbase:Functions:DenoPath.");
        if (!File.Exists(_supervisor))
            throw new InvalidOperationException($"Functions need {_supervisor}; set Butterbase:Functions:RuntimeDirectory to the portal's Functions/Runtime folder.");
        if (_limits.PrewarmAtStart) EnsureStarted();
        return Task.CompletedTask;
    }

    private void EnsureStarted()
    {
        lock (_gate)
        {
            if (_started) return;
            ObjectDisposedException.ThrowIf(_disposed, this);
            Directory.CreateDirectory(_denoDir);
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start(64);
            _ = Task.Run(AcceptLoopAsync);
            _monitor = new Timer(_ => Monitor(), null, 50, 50);
            _started = true;
        }
        KeepWarm();
    }

    /// <summary>An idle, warm worker for one invocation; waits while <see cref="FunctionLimits.MaxWorkers"/> are busy.</summary>
    internal async Task<FunctionWorker> AcquireAsync(CancellationToken ct)
    {
        EnsureStarted();
        Interlocked.Increment(ref _waiting);
        try
        {
            while (true)
            {
                while (_idle.Reader.TryRead(out var idle))
                    if (idle.Alive && !idle.Demoted && idle.TryClaim()) { idle.IdleSince = 0; KeepWarm(); return idle; }
                // One process on the way for each waiting invocation (up to the cap), not one at a time: a burst of 16
                // would otherwise wait for 16 process starts in a row.
                if (Volatile.Read(ref _starting) < Volatile.Read(ref _waiting)) Spawn();
                var next = await _idle.Reader.ReadAsync(ct);
                if (next.Alive && !next.Demoted && next.TryClaim()) { next.IdleSince = 0; KeepWarm(); return next; }
            }
        }
        finally { Interlocked.Decrement(ref _waiting); }
    }

    /// <summary>Keeps the warm target of idle workers, counting those starting and those preparing their next isolate.</summary>
    private void KeepWarm()
    {
        var ready = 0;
        foreach (var worker in _workers.Values) if (worker.Idle || worker.Rewarming) ready++;
        for (var missing = _limits.WarmWorkers - ready - Volatile.Read(ref _starting); missing > 0; missing--) Spawn();
    }

    /// <summary>
    /// Registers a worker at once (so the cap holds and concurrent callers do not start one each) and starts its
    /// process on the thread pool: Process.Start takes milliseconds, and the callers are requests.
    /// </summary>
    private void Spawn()
    {
        FunctionWorker worker;
        lock (_gate)
        {
            if (_disposed || !_started || _workers.Count >= _limits.MaxWorkers) return;
            worker = new FunctionWorker(_logger, OnReady, OnExit);
            _workers[worker.Token] = worker;
            _connecting[worker.Token] = worker;
            Interlocked.Increment(ref _starting);
        }
        ThreadPool.QueueUserWorkItem(_ =>
        {
            try { worker.Start(WorkerStartInfo()); }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                _logger.LogError(e, "Could not start a function worker ({Deno})", _deno); // Exit has unregistered it
            }
        });
    }

    /// <summary>
    /// No --allow-* but the host's own port: the isolates that run handlers get "none" even of that. The garbage
    /// collector runs on the isolate's own thread, so one invocation uses at most one core (V8's parallel GC threads
    /// let a handler that churns memory take every core of a small host).
    /// </summary>
    private ProcessStartInfo WorkerStartInfo()
    {
        var port = ((IPEndPoint)_listener!.LocalEndpoint).Port;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return DenoStartInfo(_denoDir,
        [
            "run", "--quiet", "--no-prompt", "--no-remote", "--no-npm", "--no-config", "--no-lock", "--unstable-worker-options",
            $"--allow-net=127.0.0.1:{port}", $"--v8-flags=--max-old-space-size={_limits.HeapMb},--single-threaded-gc", _supervisor,
            port.ToString(invariant), (_limits.MaxResponseBytes + 64 * 1024).ToString(invariant), _limits.MaxLogLines.ToString(invariant),
            _limits.IdleWorkerCpuMs.ToString(invariant),
        ]);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener!.AcceptSocketAsync(_stopping.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(() => HandshakeAsync(socket));
        }
    }

    /// <summary>The first line must be a hello with the token given to one starting worker; anything else is dropped.</summary>
    private async Task HandshakeAsync(Socket socket)
    {
        socket.NoDelay = true;
        var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                var read = await reader.ReadAsync(timeout.Token);
                var buffer = read.Buffer;
                var newline = buffer.PositionOf((byte)'\n');
                if (newline is null)
                {
                    if (buffer.Length > 1024 || read.IsCompleted) break;
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }
                var json = new Utf8JsonReader(buffer.Slice(0, newline.Value));
                var hello = JsonSerializer.Deserialize<FunctionWorker.WireMessage>(ref json, WireJson.Options);
                reader.AdvanceTo(buffer.GetPosition(1, newline.Value));
                if (hello?.T == "hello" && hello.Token is { } token && _connecting.TryRemove(token, out var worker))
                {
                    worker.Attach(stream, reader, _limits.MaxResponseBytes * 2 + 128 * 1024);
                    return;
                }
                break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or JsonException or SocketException) { }
        await stream.DisposeAsync();
    }

    private void OnReady(FunctionWorker worker)
    {
        if (Interlocked.CompareExchange(ref worker.ReadyCounted, 1, 0) == 0) Interlocked.Decrement(ref _starting);
        if (worker.Demoted) { worker.Kill(); return; } // its priority stays low: replace it rather than reuse it
        worker.IdleSince = Environment.TickCount64;
        try { worker.CpuTicksAtReady = CpuTicks(worker.Pid); } catch (IOException) { worker.Kill(); return; }
        worker.Release();
        _idle.Writer.TryWrite(worker);
    }

    private void OnExit(FunctionWorker worker)
    {
        _workers.TryRemove(worker.Token, out _);
        _connecting.TryRemove(worker.Token, out _);
        if (Interlocked.CompareExchange(ref worker.ReadyCounted, 1, 0) == 0) Interlocked.Decrement(ref _starting);
        if (!_disposed) KeepWarm();
    }

    /// <summary>
    /// Every 50 ms: a busy worker over its memory is killed. CPU is shared by app: when an app runs more invocations at
    /// once than there are cores, each of them that has used its CPU allowance drops to nice 19, so an app that floods the
    /// pool with busy handlers gets what the others leave, and one long but lone invocation keeps its normal priority.
    /// </summary>
    private void Monitor()
    {
        if (!OperatingSystem.IsLinux()) return;
        var runningPerApp = _workers.Values.Select(w => w.Current?.AppId).Where(a => a is not null).CountBy(a => a!).ToDictionary();
        // After a burst, processes beyond the warm target that sat idle for half a minute are let go (~50 MB each). Not
        // sooner: under steady load that would start and end a process per invocation.
        var idle = _workers.Values.Where(w => w.Idle).OrderBy(w => w.IdleSince).ToList();
        foreach (var extra in idle.Take(Math.Max(0, idle.Count - _limits.WarmWorkers)))
            if (Environment.TickCount64 - extra.IdleSince > 30_000 && extra.TryClaim()) extra.Kill();
        // An idle process has nothing to run: one that keeps using CPU carries native work its last invocation started
        // (the supervisor checks once before it says ready; this catches work that shows later). It is not reused.
        foreach (var quiet in idle)
        {
            try
            {
                // Claimed first: between the idle list above and now, an invocation may have taken this worker (and its CPU
                // is then that invocation's), in which case it is not ours to kill.
                if (CpuTicks(quiet.Pid) - quiet.CpuTicksAtReady > 10 && quiet.TryClaim())
                {
                    _logger.LogWarning("Function worker {Pid} kept working after its invocation ended: replaced", quiet.Pid);
                    quiet.Kill();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        }
        foreach (var worker in _workers.Values)
        {
            if (worker.Current is not { } running) continue;
            try
            {
                var rssMb = ResidentBytes(worker.Pid) / (1024 * 1024);
                if (rssMb > _limits.MaxWorkerMemoryMb)
                {
                    running.KilledForMemory = true;
                    _logger.LogWarning("Function worker {Pid} used {Rss} MB (limit {Limit} MB): killed", worker.Pid, rssMb, _limits.MaxWorkerMemoryMb);
                    worker.Kill();
                    continue;
                }
                if (!worker.Demoted && runningPerApp.GetValueOrDefault(running.AppId) > Environment.ProcessorCount && (CpuTicks(worker.Pid) - worker.CpuTicksAtStart) * 1000 / TicksPerSecond > _limits.DemoteAfterCpuMs)
                {
                    worker.Demoted = true;
                    Demote(worker.Pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { } // it has just exited
        }
    }

    private const long TicksPerSecond = 100; // USER_HZ on Linux

    internal static long CpuTicks(int pid)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture); // utime + stime
    }

    private static long ResidentBytes(int pid)
    {
        var statm = File.ReadAllText($"/proc/{pid}/statm").Split(' ');
        return long.Parse(statm[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }

    /// <summary>Nice 19 for every thread of the process (Linux sets priority per thread).</summary>
    private void Demote(int pid)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            if (int.TryParse(Path.GetFileName(task), out var tid) && SetPriority(0 /* PRIO_PROCESS */, tid, 19) != 0)
                _logger.LogDebug("Could not lower the priority of thread {Tid} of function worker {Pid}", tid, pid);
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for one call with plain ints
    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);
#pragma warning restore SYSLIB1054

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return ValueTask.CompletedTask;
            _disposed = true;
        }
        _stopping.Cancel();
        _monitor?.Dispose();
        _listener?.Stop();
        foreach (var worker in _workers.Values) worker.Kill();
        _idle.Writer.TryComplete();
        try { if (Directory.Exists(_denoDir)) Directory.Delete(_denoDir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }
}
