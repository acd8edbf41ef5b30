using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Butterbase.Portal.Functions;

/// <summary>
/// One Deno worker process (Runtime/supervisor.js) and its loopback connection to the host. It runs one invocation at a
/// time, each in a fresh isolate; between invocations it prepares the next isolate and says "ready". Everything it sends
/// is untrusted: a message about any invocation but the one it was given is ignored.
/// </summary>
internal sealed class FunctionWorker
{
    private readonly Process _process;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly StringBuilder _stderrTail = new();
    private readonly ILogger _logger;
    private readonly Action<FunctionWorker> _onReady, _onExit;
    private Stream? _stream;
    private Task _readLoop = Task.CompletedTask, _stderrDrain = Task.CompletedTask;
    private int _exited;

    public string Token { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    public int Pid { get; private set; }
    public RunningInvocation? Current { get; private set; }
    /// <summary>Lowered to the lowest CPU priority during a long invocation: it is replaced, not reused.</summary>
    public bool Demoted { get; set; }
    public bool Alive => Volatile.Read(ref _exited) == 0;
    /// <summary>CPU time (clock ticks) the process had used when the current invocation began.</summary>
    public long CpuTicksAtStart { get; set; }
    /// <summary>Finished an invocation and preparing its next isolate: it will be idle again in a moment.</summary>
    public bool Rewarming { get; private set; }
    /// <summary>CPU time (clock ticks) when it last said ready: an idle process should not use more.</summary>
    public long CpuTicksAtReady { get; set; }
    /// <summary>When it last became idle (Environment.TickCount64); 0 while it is busy or has never been ready.</summary>
    public long IdleSince { get; set; }
    /// <summary>Ready for an invocation: alive, nothing running, its next isolate prepared.</summary>
    public bool Idle => Alive && Current is null && IdleSince > 0;

    private int _claimed;
    /// <summary>
    /// Takes an idle worker for one use: an invocation (the pool's acquire) or retirement (the pool's monitor killing an idle
    /// process). Exactly one of them wins, so the monitor never kills a worker an invocation was just handed (that answered
    /// an innocent app's call with function_crashed while another app was burning CPU).
    /// </summary>
    public bool TryClaim() => Interlocked.CompareExchange(ref _claimed, 1, 0) == 0;
    /// <summary>Ready again for one more use (the pool's ready handler, before the worker is offered).</summary>
    public void Release() => Volatile.Write(ref _claimed, 0);
    /// <summary>1 once the pool has counted this worker out of its starting ones (first ready, or exit).</summary>
    public int ReadyCounted;

    public FunctionWorker(ILogger logger, Action<FunctionWorker> onReady, Action<FunctionWorker> onExit)
    {
        _logger = logger;
        _onReady = onReady;
        _onExit = onExit;
        _process = new Process { EnableRaisingEvents = true };
        _process.Exited += (_, _) => Exit();
    }

    /// <summary>Starts the process (the pool has registered this worker's token first, so its hello always finds it).</summary>
    public void Start(ProcessStartInfo start)
    {
        _process.StartInfo = start;
        try { _process.Start(); }
        catch (Exception) { Exit(); throw; }
        Pid = _process.Id;
        // Read with fixed buffers, not line by line: a handler can make the runtime print one huge line (an unhandled
        // rejection with a 100 MB message), which a line reader would hold whole in the host's memory.
        _ = DrainAsync(_process.StandardOutput.BaseStream, keep: false);
        _stderrDrain = DrainAsync(_process.StandardError.BaseStream, keep: true);
        // The token is the only thing on stdin; then EOF, so a handler that reads stdin reads nothing.
        _process.StandardInput.WriteLine(Token);
        _process.StandardInput.Close();
    }

    private string StderrTail { get { lock (_stderrTail) return _stderrTail.ToString(); } }

    /// <summary>Reads a stream to its end; keeps the last 8 KB of stderr (V8 says "out of memory" there), drops stdout.</summary>
    private async Task DrainAsync(Stream stream, bool keep)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                if (!keep) continue;
                lock (_stderrTail)
                {
                    _stderrTail.Append(Encoding.UTF8.GetString(buffer, 0, read));
                    if (_stderrTail.Length > 8192) _stderrTail.Remove(0, _stderrTail.Length - 8192);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    /// <summary>The supervisor connected back and proved its token: read its messages until it goes away.</summary>
    public void Attach(Stream stream, PipeReader reader, int maxLine)
    {
        _stream = stream;
        _readLoop = Task.Run(() => ReadLoopAsync(reader, maxLine));
    }

    public async Task StartAsync(RunningInvocation invocation, string codeBase64)
    {
        Current = invocation;
        IdleSince = 0;
        lock (_stderrTail) _stderrTail.Clear(); // only this invocation's output may classify its crash
        await SendAsync(new { t = "run", inv = invocation.Id, code = codeBase64, input = invocation.InputJson, timeoutMs = invocation.TimeoutMs });
        if (!Alive) invocation.Crash(StderrTail); // it died before it could take the invocation
    }

    /// <summary>One message as one line, in one write (one segment on the wire, not the JSON and then its newline).</summary>
    public async Task SendAsync(object message)
    {
        if (_stream is null || !Alive) return;
        var line = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(line)) JsonSerializer.Serialize(json, message, WireJson.Options);
        line.Write("\n"u8);
        await _sendLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(line.WrittenMemory);
            await _stream.FlushAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException) { Kill(); }
        finally { _sendLock.Release(); }
    }

    private async Task ReadLoopAsync(PipeReader reader, int maxLine)
    {
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync();
                var buffer = read.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    var json = new Utf8JsonReader(line);
                    var message = JsonSerializer.Deserialize<WireMessage>(ref json, WireJson.Options);
                    if (message is not null) Receive(message);
                }
                if (buffer.Length > maxLine) { _logger.LogWarning("Function worker {Pid} sent a line over {Max} bytes; killed", Pid, maxLine); break; }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is IOException or JsonException or SocketException or ObjectDisposedException)
        {
            _logger.LogDebug(e, "Function worker {Pid}: connection ended", Pid);
        }
        Kill();
    }

    private static bool TryReadLine(ref System.Buffers.ReadOnlySequence<byte> buffer, out System.Buffers.ReadOnlySequence<byte> line)
    {
        var position = buffer.PositionOf((byte)'\n');
        if (position is null) { line = default; return false; }
        line = buffer.Slice(0, position.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, position.Value));
        return true;
    }

    private void Receive(WireMessage m)
    {
        // After the process is gone the rest of its output is still read (SettleAsync), for its answer and logs only: a
        // tool call or a "ready" it had queued is not acted on (a worker killed for its memory makes no more calls).
        if (!Alive && m.T is "exec" or "ready") return;
        switch (m.T)
        {
            case "ready":
                Current = null;
                Rewarming = false;
                _onReady(this);
                return;
            case "log" when Current is { } running && m.Inv == running.Id:
                running.Logs.Add(m.Level is "info" or "warn" or "error" or "debug" ? m.Level : "log", m.Text ?? "");
                return;
            case "exec" when Current is { } running && m.Inv == running.Id:
                _ = ExecuteAsync(running, m);
                return;
            case "done" when Current is { } running && m.Inv == running.Id:
                Rewarming = true;
                running.Complete(m);
                return;
        }
    }

    /// <summary>A ctx.integrations call: honoured only for the invocation this process is running, until it ends.</summary>
    private async Task ExecuteAsync(RunningInvocation running, WireMessage m)
    {
        var json = await running.ExecuteAsync(m.AsUser, m.Tool ?? "", m.Params ?? "{}", m.ConnectionId);
        if (Current == running) await SendAsync(new { t = "exec-result", inv = running.Id, call = m.Call, json });
    }

    public void Kill()
    {
        try { if (Pid != 0 && !_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        Exit();
    }

    private void Exit()
    {
        if (Interlocked.Exchange(ref _exited, 1) == 1) return;
        _onExit(this);
        _ = Task.Run(SettleAsync);
    }

    /// <summary>
    /// After the process is gone: what it wrote before it went is still read, then whatever it was running and did not
    /// answer fails with it. The supervisor may exit right after its answer (it replaces itself when native work goes on
    /// after an invocation): closing the connection at the exit, as this once did, dropped that answer when the host was
    /// slower than the process and turned a finished invocation into function_crashed. The process's end closes its socket
    /// and stderr, so both end here; the timeouts only cover a connection that never came.
    /// </summary>
    private async Task SettleAsync()
    {
        await Task.WhenAny(Task.WhenAll(_readLoop, _stderrDrain), Task.Delay(TimeSpan.FromSeconds(2)));
        if (Current is { } running && !running.Ended)
        {
            var code = Pid != 0 && _process.HasExited ? _process.ExitCode : (int?)null;
            _logger.LogWarning("Function worker {Pid} ended (exit code {Code}) while running an invocation of app {App}", Pid, code, running.AppId);
            running.Crash(StderrTail); // V8 says "out of memory" on stderr, read to its end above
        }
        try { _stream?.Dispose(); } catch (IOException) { }
        try { if (Pid != 0) await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException) { }
        _process.Dispose();
    }

    internal sealed record WireMessage(
        string T, string? Token, string? Inv, string? Level, string? Text, long Call, string? AsUser, string? Tool, string? Params,
        string? ConnectionId, string? Kind, JsonElement? Wire, string? Error);
}

internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };
}
