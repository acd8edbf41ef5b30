using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Butterbase.Bench.Infrastructure;

/// <summary>
/// Every process a suite starts, so each one is killed (by its own id, with its children) when the suite ends —
/// normally, by exception, or by Ctrl+C / SIGTERM.
/// </summary>
public sealed class ChildProcesses : IDisposable
{
    private readonly ConcurrentDictionary<int, Process> _running = new();
    private readonly PosixSignalRegistration[] _signals;

    public ChildProcesses()
    {
        _signals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => KillAll()),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => KillAll()),
        ];
        AppDomain.CurrentDomain.ProcessExit += OnExit;
    }

    /// <summary>Starts a process with its output captured (the last lines kept for error messages).</summary>
    public Child Start(ProcessStartInfo info)
    {
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new Child(process, this);
        process.OutputDataReceived += (_, e) => child.Record(e.Data, error: false);
        process.ErrorDataReceived += (_, e) => child.Record(e.Data, error: true);
        if (!process.Start()) throw new BenchException($"could not start {info.FileName}");
        _running[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>`dotnet` itself, wherever the running host came from.</summary>
    public static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
        : "dotnet";

    internal void Kill(Process process)
    {
        if (!_running.TryRemove(process.Id, out _)) return;
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(5_000);
        }
        catch (InvalidOperationException) { } // already gone
        finally { process.Dispose(); }
    }

    private void KillAll()
    {
        foreach (var process in _running.Values.ToList()) Kill(process);
    }

    private void OnExit(object? sender, EventArgs e) => KillAll();

    public void Dispose()
    {
        KillAll();
        AppDomain.CurrentDomain.ProcessExit -= OnExit;
        foreach (var s in _signals) s.Dispose();
    }
}

public sealed class Child(Process process, ChildProcesses owner) : IDisposable
{
    private readonly ConcurrentQueue<string> _tail = new();
    private readonly List<string> _stdout = [];

    public Process Process => process;

    public IReadOnlyList<string> StandardOutput { get { lock (_stdout) return _stdout.ToList(); } }

    internal void Record(string? line, bool error)
    {
        if (line is null) return;
        if (!error) lock (_stdout) if (_stdout.Count < 1000) _stdout.Add(line);
        _tail.Enqueue(line);
        while (_tail.Count > 40) _tail.TryDequeue(out _);
    }

    /// <summary>The last lines of stdout and stderr, for an error message.</summary>
    public string Tail => string.Join(Environment.NewLine, _tail.Select(l => "    | " + l));

    /// <summary>Waits for the process to exit and for its output to be read; kills it after the timeout.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            var name = process.StartInfo.FileName + " " + string.Join(' ', process.StartInfo.ArgumentList);
            Dispose();
            throw new BenchException($"{name} did not finish within {timeout.TotalSeconds:0} s; its last output:{Environment.NewLine}{Tail}");
        }
        var code = process.ExitCode;
        Dispose();
        return code;
    }

    public void Dispose() => owner.Kill(process);
}
