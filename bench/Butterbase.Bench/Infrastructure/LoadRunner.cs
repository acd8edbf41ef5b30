using System.Diagnostics;

namespace Butterbase.Bench.Infrastructure;

/// <summary>What one closed-loop run gave: latency of every call, throughput, failures, and where the CPU time went.</summary>
public sealed record LoadResult(Summary Latency, int Calls, int Failures, string? FirstFailure, double Seconds, CpuSplit Cpu)
{
    public double PerSecond => Calls / Seconds;
}

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers, each sending its next call as soon as the previous one is
/// answered, for a fixed time or a fixed number of calls. Every call is timed with <see cref="Stopwatch.GetTimestamp"/>,
/// from before the request is built until its body has been read.
/// </summary>
public static class LoadRunner
{
    /// <summary>A failing run stops after this many failed calls: the server is probably gone.</summary>
    private const int MaxFailures = 200;

    /// <param name="call">One call; null when it succeeded, else what was wrong (counted, the first one kept).</param>
    /// <param name="server">The other process whose CPU time is split out (the portal), or null.</param>
    public static async Task<LoadResult> RunAsync(Func<Task<string?>> call, int concurrency, TimeSpan? duration = null, int? count = null,
        Process? server = null)
    {
        if (duration is null == count is null) throw new ArgumentException("give a duration or a count");
        var perWorker = new List<long>[concurrency];
        long issued = 0;
        var failures = 0;
        string? firstFailure = null;
        var stop = false;
        var cpu = CpuMeter.Start(server);
        var start = Stopwatch.GetTimestamp();
        var deadline = duration is { } d ? start + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;

        async Task Worker(int w)
        {
            var latencies = perWorker[w] = new List<long>(count is { } n ? n / concurrency + 1 : 4096);
            while (!Volatile.Read(ref stop))
            {
                if (count is { } total && Interlocked.Increment(ref issued) > total) break;
                var t0 = Stopwatch.GetTimestamp();
                if (t0 >= deadline) break;
                string? problem;
                try { problem = await call(); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { problem = e.GetType().Name + ": " + e.Message; }
                latencies.Add(Stopwatch.GetTimestamp() - t0);
                if (problem is not null)
                {
                    Interlocked.CompareExchange(ref firstFailure, problem, null);
                    if (Interlocked.Increment(ref failures) >= MaxFailures) Volatile.Write(ref stop, true);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => Worker(w))));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var split = cpu.Stop();
        var calls = perWorker.Sum(l => l.Count);
        var samples = new Samples(Math.Max(calls, 1));
        foreach (var list in perWorker) foreach (var ticks in list) samples.Add(ticks);
        if (calls == 0) throw new BenchException("a load run made no calls");
        if (failures >= MaxFailures) throw new BenchException($"{failures} calls failed in one run; the first: {firstFailure}");
        return new LoadResult(samples.Summarise(), calls, failures, firstFailure, seconds, split);
    }
}

/// <summary>
/// CPU seconds used during a run: by the server process, by this (bench) process, and by everything else on the machine;
/// and the server's by kind of thread (<see cref="CpuMeter.Kind"/>).
/// </summary>
public sealed record CpuSplit(double ServerSeconds, double BenchSeconds, double OtherSeconds, double WallSeconds, IReadOnlyDictionary<string, double> ServerThreads)
{
    /// <summary>The server's CPU by kind of thread, as shares, largest first.</summary>
    public string ServerThreadShares() => ServerSeconds <= 0 ? "n/a" :
        string.Join(" · ", ServerThreads.Where(t => t.Value > 0).OrderByDescending(t => t.Value).Select(t => $"{t.Key} {t.Value / ServerSeconds:P0}"));

    /// <summary>Milliseconds of CPU per call in the server and in the bench process.</summary>
    public string PerCall(int calls, string serverName = "portal") =>
        $"CPU/call: {serverName} {ResultTable.Ms(ServerSeconds * 1000 / calls)}, bench {ResultTable.Ms(BenchSeconds * 1000 / calls)}";

    /// <summary>Cores used by other processes on average (other engineers' builds skew everything).</summary>
    public double OtherCores => OtherSeconds / WallSeconds;

    /// <summary>Cores used in total on average.</summary>
    public double BusyCores => (ServerSeconds + BenchSeconds + OtherSeconds) / WallSeconds;
}

/// <summary>
/// CPU time from /proc: `utime + stime` of a process (all its threads) from /proc/PID/stat, and the machine's busy time
/// (everything but idle and iowait) from /proc/stat, both in clock ticks (USER_HZ, 100 on Linux).
/// </summary>
public sealed class CpuMeter
{
    private const double TicksPerSecond = 100;
    private readonly int? _server;
    private readonly long _server0, _self0, _machine0, _start;
    private readonly Dictionary<int, (string Name, long Ticks)> _threads0;

    private CpuMeter(Process? server)
    {
        _server = server?.Id;
        _threads0 = _server is { } p ? Threads(p) : [];
        _server0 = _server is { } pid ? ProcessTicks(pid) : 0;
        _self0 = ProcessTicks(Environment.ProcessId);
        _machine0 = MachineBusyTicks();
        _start = Stopwatch.GetTimestamp();
    }

    public static CpuMeter Start(Process? server) => new(server);

    public CpuSplit Stop()
    {
        var wall = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        var server = _server is { } pid ? (ProcessTicks(pid) - _server0) / TicksPerSecond : 0;
        var self = (ProcessTicks(Environment.ProcessId) - _self0) / TicksPerSecond;
        var machine = (MachineBusyTicks() - _machine0) / TicksPerSecond;
        var kinds = new Dictionary<string, double>(StringComparer.Ordinal);
        if (_server is { } id)
        {
            foreach (var (tid, (name, ticks)) in Threads(id))
            {
                var used = ticks - (_threads0.TryGetValue(tid, out var before) ? before.Ticks : 0);
                kinds[Kind(name)] = kinds.GetValueOrDefault(Kind(name)) + used / TicksPerSecond;
            }
            // Threads that ended during the run (the tiered JIT's worker comes and goes) took their counters with them.
            var seen = kinds.Values.Sum();
            if (server - seen > 0.005) kinds["threads that exited (e.g. tiered JIT)"] = server - seen;
        }
        return new CpuSplit(server, self, Math.Max(0, machine - server - self), wall, kinds);
    }

    /// <summary>
    /// What a .NET thread does, from the name the runtime gives it on Linux (15 characters at most): thread-pool workers
    /// run the requests (Kestrel, EF Core, SQLite, HttpClient, the execution log's writer), the GC threads collect, the
    /// socket engine polls, the tiered JIT compiles hot methods again.
    /// </summary>
    public static string Kind(string name) => name switch
    {
        ".NET TP Worker" => "thread-pool work",
        ".NET Server GC" or ".NET BGC" => "GC",
        ".NET Sockets" => "socket engine",
        ".NET Tiered Com" => "tiered JIT",
        _ => "other threads",
    };

    /// <summary>Per thread of a process: name and utime + stime, from /proc/PID/task/TID/stat.</summary>
    public static Dictionary<int, (string Name, long Ticks)> Threads(int pid)
    {
        var threads = new Dictionary<int, (string, long)>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    var stat = File.ReadAllText(System.IO.Path.Combine(dir, "stat"));
                    var open = stat.IndexOf('(');
                    var close = stat.LastIndexOf(')');
                    var fields = stat[(close + 2)..].Split(' ');
                    threads[int.Parse(stat[..open].Trim())] = (stat[(open + 1)..close], long.Parse(fields[11]) + long.Parse(fields[12]));
                }
                catch (IOException) { } // the thread ended meanwhile
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return threads;
    }

    /// <summary>utime + stime (fields 14 and 15 of /proc/PID/stat; the command name in parentheses may hold spaces).</summary>
    public static long ProcessTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11]) + long.Parse(fields[12]); // field 3 (state) is index 0
        }
        catch (IOException) { return 0; }
    }

    private static long MachineBusyTicks()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
            return v.Sum() - v[3] - v[4]; // user nice system idle iowait irq softirq steal
        }
        catch (IOException) { return 0; }
    }
}

/// <summary>Resident memory of a process from /proc/PID/status: VmRSS (working set) and RssAnon (private anonymous pages).</summary>
public static class ProcessMemory
{
    public static (long Rss, long Anon) Read(int pid)
    {
        long rss = 0, anon = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kb(line);
        }
        return (rss, anon);
    }

    private static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
}
