using System.Text.Json;

namespace Butterbase.Portal.Functions;

/// <summary>
/// One invocation while a worker runs it. Its id is the capability the worker's tool calls travel under: random, known
/// only to the host and that worker, bound to the app and caller through <see cref="_execute"/>, and useless once the
/// invocation has ended (the worker drops it and the host ignores anything that names it).
/// </summary>
internal sealed class RunningInvocation(string appId, string inputJson, int timeoutMs, FunctionRuntime.ExecuteTool execute, FunctionLimits limits, CancellationToken deadline)
{
    private readonly FunctionRuntime.ExecuteTool _execute = execute;
    private readonly TaskCompletionSource<FunctionRuntime.Outcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _toolCalls, _pending;
    /// <summary>Tool calls of one invocation run a few at a time: a handler firing 1,000 at once waits for its own.</summary>
    private readonly SemaphoreSlim _concurrentCalls = new(8, 8);

    public string Id { get; } = Data.Ids.New("run_");
    public string AppId { get; } = appId;
    public string InputJson { get; } = inputJson;
    public int TimeoutMs { get; } = timeoutMs;
    public ConsoleLog Logs { get; } = new(limits.MaxLogLines, limits.MaxLogBytes);
    /// <summary>Set when the host killed the worker for its memory: the exit is then that limit, not a crash.</summary>
    public bool KilledForMemory { get; set; }
    public Task<FunctionRuntime.Outcome> Outcome => _outcome.Task;
    public bool Ended => _outcome.Task.IsCompleted;

    public async Task<string> ExecuteAsync(string? asUser, string tool, string paramsJson, string? connectionId)
    {
        if (Ended || deadline.IsCancellationRequested) return Error("function_timeout", "The invocation has ended.", 504);
        if (Interlocked.Increment(ref _toolCalls) > limits.MaxToolCallsPerInvocation)
            return Error("function_limit_exceeded", $"A function may make at most {limits.MaxToolCallsPerInvocation} tool calls per invocation.", 429);
        // Sizes before anything is kept: a queued call holds its arguments, and ids are cache keys further on.
        if (tool.Length > 128 || connectionId?.Length > 64 || asUser?.Length > 256 || paramsJson.Length > 256 * 1024)
            return Error("validation_failed", "A tool name is at most 128 characters, a connection id 64, a user id 256, and the parameters 256 KB.", 422);
        if (Interlocked.Increment(ref _pending) > 32)
        {
            Interlocked.Decrement(ref _pending);
            return Error("too_many_requests", "A function may have at most 32 tool calls waiting or running at once.", 429);
        }
        try
        {
            await _concurrentCalls.WaitAsync(deadline);
            try { return await _execute(asUser, tool, paramsJson, connectionId, deadline); }
            finally { _concurrentCalls.Release(); }
        }
        catch (OperationCanceledException) { return Error("function_timeout", "The invocation has ended.", 504); }
        finally { Interlocked.Decrement(ref _pending); }
    }

    /// <summary>A ctx.integrations result that failed before or instead of the execute: `{ data: null, error }`, as the SDK answers.</summary>
    internal static string Error(string code, string message, int status) =>
        JsonSerializer.Serialize(new { data = (object?)null, error = new { code, message, status } }, WireJson.Options);

    public void Complete(FunctionWorker.WireMessage m)
    {
        try { _outcome.TrySetResult(OutcomeOf(m)); }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            _outcome.TrySetResult(Fail(FunctionRuntime.Outcome.Failed, 500, "The function's result could not be read."));
        }
    }

    private FunctionRuntime.Outcome OutcomeOf(FunctionWorker.WireMessage m) => m.Kind switch
    {
        "ok" when m.Wire is { } wire => FunctionRuntime.ToResponse(wire, Logs),
        "timeout" => Fail(FunctionRuntime.Outcome.TimedOut, 504, $"The function ran longer than its {TimeoutMs} ms timeout and was stopped."),
        "limit" => Fail(FunctionRuntime.Outcome.LimitExceeded, 500, m.Error ?? "The function exceeded a limit."),
        _ => Fail(FunctionRuntime.Outcome.Failed, 500, m.Error ?? "The function failed."),
    };

    /// <summary>The worker process ended while running this invocation.</summary>
    public void Crash(string stderrTail)
    {
        if (KilledForMemory)
            _outcome.TrySetResult(Fail(FunctionRuntime.Outcome.LimitExceeded, 500, $"The function used more than {limits.MaxWorkerMemoryMb} MB of memory and was stopped."));
        else if (stderrTail.Contains("out of memory", StringComparison.OrdinalIgnoreCase) || stderrTail.Contains("heap limit", StringComparison.OrdinalIgnoreCase))
            _outcome.TrySetResult(Fail(FunctionRuntime.Outcome.LimitExceeded, 500, $"The function ran out of memory (its heap is limited to {limits.HeapMb} MB) and was stopped."));
        else
            _outcome.TrySetResult(Fail(FunctionRuntime.Outcome.Crashed, 500, "The function's worker process crashed; the invocation was stopped."));
    }

    public void TimeOut() =>
        _outcome.TrySetResult(Fail(FunctionRuntime.Outcome.TimedOut, 504, $"The function ran longer than its {TimeoutMs} ms timeout and was stopped."));

    public void Cancel() => _outcome.TrySetResult(Fail(FunctionRuntime.Outcome.Failed, 499, "The caller went away."));

    private FunctionRuntime.Outcome Fail(string kind, int status, string message) => new(kind, status, null, null, [], message, Logs.Lines);
}

/// <summary>A function's console output as kept in its invocation log: at most so many lines and bytes, then one marker.</summary>
internal sealed class ConsoleLog(int maxLines, int maxBytes)
{
    private readonly List<string> _lines = [];
    private int _bytes;
    private bool _truncated;

    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }

    public void Add(string level, string message)
    {
        lock (_lines)
        {
            if (_truncated) return;
            var line = level + "\t" + message;
            if (_lines.Count >= maxLines || _bytes + line.Length > maxBytes)
            {
                _lines.Add("warn\t(console output truncated: a function keeps at most " + maxLines + " lines / " + maxBytes / 1024 + " KB per invocation)");
                _truncated = true;
                return;
            }
            _lines.Add(line);
            _bytes += line.Length;
        }
    }
}
