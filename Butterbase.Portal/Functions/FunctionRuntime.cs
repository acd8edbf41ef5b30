using System.Text.Json;
using Jint;
using Jint.Native;
using Jint.Runtime;
using Jint.Runtime.Interop;

namespace Butterbase.Portal.Functions;

/// <summary>
/// Runs a deployed handler in Jint: a fresh engine per invocation with no CLR access, no module loading,
/// no file system or network, and nothing of the host but what `ctx` offers. Limits: wall time (the
/// function's timeout, enforced inside the interpreter and while awaiting the host), bytes allocated and
/// statements counted across the whole invocation (not reset at each `await`), and recursion depth.
/// Only strings cross between the engine and the host: values go through JSON both ways.
/// </summary>
public sealed class FunctionRuntime(Microsoft.Extensions.Options.IOptions<FunctionLimits> options)
{
    /// <summary>What the host offers a running function: tool execution as a user (null = the caller).</summary>
    private readonly FunctionLimits limits = options.Value;

    public delegate Task<string> ExecuteTool(string? asUserId, string toolName, string paramsJson, string? connectionId, CancellationToken ct);

    /// <summary>The HTTP request as the handler sees it: the body as JSON text ("" for none), no credentials among the headers.</summary>
    public sealed record Request(string BodyJson, string Method, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Query);

    public sealed record Invocation(
        string BodyJson, string? UserId, IReadOnlyDictionary<string, string> Env,
        string Method, string Path, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Query);

    public sealed record Outcome(string Kind, int Status, string? ContentType, string? Body, IReadOnlyList<KeyValuePair<string, string>> Headers, string? Error, IReadOnlyList<string> Logs)
    {
        public const string Ok = "ok", Failed = "error", TimedOut = "timeout", LimitExceeded = "limit";

        /// <summary>The API error code for a run that did not finish.</summary>
        public string ErrorCode => Kind switch { TimedOut => "function_timeout", LimitExceeded => "function_limit_exceeded", _ => "function_error" };
    }

    /// <summary>
    /// Runs one invocation. The engine runs user code synchronously: a handler that computes for seconds would hold a
    /// thread-pool thread that long, and a few of them starve every other request of the host (one app's functions
    /// slowing everyone's API calls). So the first stretch, up to the first await of a tool call, which is where a
    /// handler's own work usually is, runs on a thread of its own.
    /// </summary>
    public Task<Outcome> RunAsync(Prepared<Acornima.Ast.Module> prepared, Invocation call, int timeoutMs, ExecuteTool execute, CancellationToken requestAborted) =>
        Task.Factory.StartNew(() => RunOnEngineAsync(prepared, call, timeoutMs, execute, requestAborted),
            CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();

    private async Task<Outcome> RunOnEngineAsync(Prepared<Acornima.Ast.Module> prepared, Invocation call, int timeoutMs, ExecuteTool execute, CancellationToken requestAborted)
    {
        var logs = new ConsoleLog(limits.MaxLogLines, limits.MaxLogBytes);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        deadline.CancelAfter(timeoutMs);
        var budget = new InvocationBudget(limits.MaxAllocatedBytes, limits.MaxStatements);
        var engine = new Engine(o =>
        {
            o.Strict = true;
            o.Interop.Enabled = false;
            o.LimitRecursion(limits.MaxRecursion);
            o.CancellationToken(deadline.Token);
            o.Constraint(budget);
            o.RegexTimeoutInterval(TimeSpan.FromMilliseconds(Math.Min(timeoutMs, 2000)));
            o.MaxArraySize(limits.MaxArrayLength);
            o.MaxJsonParseDepth(64);
        });

        var pending = new List<(Task<string> Work, Action<JsValue> Resolve)>();
        string? doneJson = null; string? failure = null; var finished = false;
        var host = new JsObject(engine);
        host.Set("log", new ClrFunction(engine, "log", (_, a) => { logs.Add(a.At(0).ToString(), a.At(1).ToString()); return JsValue.Undefined; }));
        host.Set("done", new ClrFunction(engine, "done", (_, a) =>
        {
            finished = true;
            if (a.At(0).AsBoolean()) doneJson = a.At(1).ToString(); else failure = a.At(1).ToString();
            return JsValue.Undefined;
        }));
        host.Set("execute", new ClrFunction(engine, "execute", (_, a) =>
        {
            var asUser = a.At(0).IsNull() ? null : a.At(0).ToString();
            var (promise, resolve, _) = engine.Advanced.RegisterPromise();
            var work = execute(asUser, a.At(1).ToString(), a.At(2).ToString(), a.At(3).IsNull() ? null : a.At(3).ToString(), deadline.Token);
            pending.Add((work, resolve));
            return promise;
        }));

        try
        {
            budget.BeginChunk();
            var run = engine.Invoke(engine.Evaluate(PreparedPrelude), host);
            engine.Modules.Add("handler", b => b.AddModule(prepared));
            var exports = engine.Modules.Import("handler");
            var handler = exports.Get("default");
            if (handler is not Jint.Native.Function.Function)
                return Failed(Outcome.Failed, 500, "The module has no default export function: write `export default async function handler(ctx) { … }`.", logs);

            budget.BeginChunk();
            engine.Invoke(run, handler, JsonSerializer.Serialize(call, JsonSerializerOptions.Web));
            engine.Advanced.ProcessTasks();
            while (!finished)
            {
                if (pending.Count == 0)
                    return Failed(Outcome.Failed, 500, "The handler's promise never settled: it awaited something that cannot finish (only ctx.integrations calls are asynchronous here).", logs);
                var done = await Task.WhenAny(pending.Select(p => (Task)p.Work)).WaitAsync(deadline.Token);
                var index = pending.FindIndex(p => p.Work == done);
                var (work, resolve) = pending[index];
                pending.RemoveAt(index);
                budget.BeginChunk();
                resolve(work.Status == TaskStatus.RanToCompletion ? work.Result : HostFailure(work));
                engine.Advanced.ProcessTasks();
            }
        }
        catch (Exception e) when (e is ExecutionCanceledException or OperationCanceledException && deadline.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            return Failed(Outcome.TimedOut, 504, $"The function ran longer than its {timeoutMs} ms timeout and was stopped.", logs);
        }
        catch (FunctionLimitException e) { return Failed(Outcome.LimitExceeded, 500, e.Message, logs); }
        catch (MemoryLimitExceededException) { return Failed(Outcome.LimitExceeded, 500, $"The function allocated more than its {limits.MaxAllocatedBytes / (1024 * 1024)} MB memory budget and was stopped.", logs); }
        catch (RecursionDepthOverflowException) { return Failed(Outcome.LimitExceeded, 500, $"The function recursed deeper than {limits.MaxRecursion} calls and was stopped.", logs); }
        catch (StatementsCountOverflowException) { return Failed(Outcome.LimitExceeded, 500, $"The function ran more than {limits.MaxStatements:N0} statements and was stopped.", logs); }
        catch (JavaScriptException e) { return Failed(Outcome.Failed, 500, Describe(e), logs); }
        catch (Jint.Runtime.Modules.ModuleResolutionException e) { return Failed(Outcome.Failed, 500, "Imports are not available to functions: " + e.Message, logs); }
        catch (InvalidOperationException e) when (e.Message.Contains("Module loading", StringComparison.Ordinal)) { return Failed(Outcome.Failed, 500, "Imports are not available to functions: everything a handler can use arrives in ctx.", logs); }

        if (failure is not null) return Failed(Outcome.Failed, 500, failure, logs);
        return ToResponse(doneJson!, logs);
    }

    private static string HostFailure(Task<string> work) => JsonSerializer.Serialize(new
    {
        data = (object?)null,
        error = new { code = "internal_error", message = work.IsCanceled ? "The call was cancelled." : "The host could not run the call." },
    });

    private static string Describe(JavaScriptException e) =>
        e.Location.SourceFile is { Length: > 0 } ? $"{e.Message} (line {e.Location.Start.Line}, column {e.Location.Start.Column + 1})" : e.Message;

    private static Outcome Failed(string kind, int status, string message, ConsoleLog logs) =>
        new(kind, status, null, null, [], message, logs.Lines);

    private static readonly HashSet<string> BlockedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "set-cookie", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "trailer", "te",
        "content-security-policy", "strict-transport-security", "x-frame-options", "www-authenticate", "server", "date",
    };

    /// <summary>The handler's wire result: `{kind:"json", body}`, `{kind:"empty"}` or `{kind:"response", status, headers, body}`.</summary>
    private static Outcome ToResponse(string wire, ConsoleLog logs)
    {
        using var doc = JsonDocument.Parse(wire);
        var root = doc.RootElement;
        switch (root.GetProperty("kind").GetString())
        {
            case "empty": return new(Outcome.Ok, 204, null, null, [], null, logs.Lines);
            case "json": return new(Outcome.Ok, 200, "application/json; charset=utf-8", root.GetProperty("body").GetString(), [], null, logs.Lines);
        }

        var status = root.GetProperty("status").GetInt32();
        if (status is < 200 or > 599)
            return Failed(Outcome.Failed, 500, $"The handler returned a Response with status {status}; use 200–599.", logs);
        var headers = new List<KeyValuePair<string, string>>();
        string? contentType = null;
        foreach (var header in root.GetProperty("headers").EnumerateObject())
        {
            var value = header.Value.GetString() ?? "";
            if (header.Name.Length == 0 || header.Name.Any(c => c <= ' ' || c >= 127 || c == ':') || value.Any(c => c is '\r' or '\n'))
                return Failed(Outcome.Failed, 500, $"The handler returned an invalid header '{header.Name}'.", logs);
            if (header.Name.StartsWith("access-control-", StringComparison.OrdinalIgnoreCase) || BlockedHeaders.Contains(header.Name)) continue;
            if (header.Name.Equals("content-type", StringComparison.OrdinalIgnoreCase)) contentType = value;
            else headers.Add(new(header.Name, value));
        }
        var body = root.GetProperty("body");
        var text = body.ValueKind == JsonValueKind.Null ? null : body.GetString();
        return new(Outcome.Ok, status, contentType ?? (text is null ? null : "text/plain; charset=utf-8"), text, headers, null, logs.Lines);
    }

    /// <summary>
    /// Defines console and Response, and returns `run(handler, input)`. The host object stays in this
    /// closure: handlers never see it, only the frozen ctx built from it.
    /// </summary>
    private static readonly Prepared<Acornima.Ast.Script> PreparedPrelude = Engine.PrepareScript(Prelude, "prelude.js");

    private const string Prelude = """
        (function (host) {
          'use strict';
          const text = (v) => {
            if (typeof v === 'string') return v;
            if (v instanceof Error) return String(v);
            try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch { return String(v); }
          };
          const console = {};
          for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
            console[level] = (...args) => { host.log(level, args.map(text).join(' ')); };
          }
          Object.defineProperty(globalThis, 'console', { value: Object.freeze(console) });

          class Response {
            constructor(body, init) {
              init = init ?? {};
              this.status = init.status ?? 200;
              this.headers = Object.assign({}, init.headers ?? {});
              this.body = body ?? null;
            }
            static json(data, init) {
              const r = new Response(JSON.stringify(data), init);
              if (!Object.keys(r.headers).some((h) => h.toLowerCase() === 'content-type')) r.headers['content-type'] = 'application/json; charset=utf-8';
              return r;
            }
          }
          Object.defineProperty(globalThis, 'Response', { value: Response });

          const call = async (asUser, toolName, params, options) =>
            JSON.parse(await host.execute(asUser, String(toolName), JSON.stringify(params ?? {}), options?.connectionId ?? null));

          const wire = (v) => {
            if (v instanceof Response) {
              const headers = {};
              for (const [k, h] of Object.entries(v.headers)) headers[k] = String(h);
              if (v.body !== null && typeof v.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json; charset=utf-8';
              const body = v.body === null ? null : typeof v.body === 'string' ? v.body : JSON.stringify(v.body);
              return JSON.stringify({ kind: 'response', status: Number(v.status) | 0, headers, body: body ?? null });
            }
            if (v === undefined) return JSON.stringify({ kind: 'empty' });
            const body = JSON.stringify(v);
            return JSON.stringify(body === undefined ? { kind: 'empty' } : { kind: 'json', body });
          };
          const failure = (e) => (e instanceof Error ? `${e.name}: ${e.message}` : `Uncaught ${text(e)}`);

          return function run(handler, input) {
            const call0 = JSON.parse(input);
            const integrations = Object.freeze({
              execute: (toolName, params, options) => call(null, toolName, params, options),
              asUser: (userId) => Object.freeze({
                execute: (toolName, params, options) => call(String(userId), toolName, params, options),
              }),
            });
            const user = call0.userId === null ? null : Object.freeze({ id: call0.userId });
            const ctx = Object.freeze({
              body: call0.bodyJson === '' ? null : JSON.parse(call0.bodyJson),
              user,
              env: Object.freeze(call0.env),
              integrations,
              method: call0.method,
              path: call0.path,
              headers: Object.freeze(call0.headers),
              query: Object.freeze(call0.query),
            });
            const req = Object.freeze({
              method: ctx.method, path: ctx.path, headers: ctx.headers, query: ctx.query, body: ctx.body,
              json: async () => ctx.body,
              text: async () => call0.bodyJson,
            });
            Promise.resolve()
              .then(() => (handler.length >= 2 ? handler(req, ctx) : handler(ctx)))
              .then(wire)
              .then((w) => host.done(true, w), (e) => host.done(false, failure(e)));
          };
        })
        """;

    private sealed class ConsoleLog(int maxLines, int maxBytes)
    {
        private readonly List<string> _lines = [];
        private int _bytes;
        private bool _truncated;
        public IReadOnlyList<string> Lines => _lines;

        public void Add(string level, string message)
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

    /// <summary>Allocation and statements counted over the whole invocation: Jint's own constraints restart at every call into the engine, so an `await` would reset them.</summary>
    private sealed class InvocationBudget(long maxBytes, long maxStatements) : Constraint
    {
        private long _baseline, _chunk, _spent, _statements;

        public void BeginChunk()
        {
            _spent += _chunk;
            _chunk = 0;
            _baseline = GC.GetAllocatedBytesForCurrentThread();
        }

        public override void Check()
        {
            if (++_statements > maxStatements) throw new FunctionLimitException($"The function ran more than {maxStatements:N0} statements and was stopped.");
            _chunk = GC.GetAllocatedBytesForCurrentThread() - _baseline;
            if (_spent + _chunk > maxBytes)
                throw new FunctionLimitException($"The function allocated more than its {maxBytes / (1024 * 1024)} MB memory budget and was stopped.");
        }

        public override void Reset() { } // the invocation, not the engine call, is the unit: see BeginChunk
    }
}

public sealed class FunctionLimitException(string message) : Exception(message);

/// <summary>`Butterbase:Functions:*`: what one invocation may use.</summary>
public sealed class FunctionLimits
{
    public int DefaultTimeoutMs { get; set; } = 10_000;
    public int MaxTimeoutMs { get; set; } = 30_000;
    /// <summary>
    /// Bytes the invocation may allocate in all (what the interpreter allocates while it runs, garbage included: .NET
    /// cannot tell one engine's live objects from another's on a shared heap). Stops unbounded growth within a
    /// fraction of a second; a busy handler allocates roughly 50–100 MB per second of work.
    /// </summary>
    public long MaxAllocatedBytes { get; set; } = 512L * 1024 * 1024;
    public long MaxStatements { get; set; } = 200_000_000;
    public int MaxRecursion { get; set; } = 512;
    public uint MaxArrayLength { get; set; } = 10_000_000;
    public int MaxLogLines { get; set; } = 200;
    public int MaxLogBytes { get; set; } = 64 * 1024;
    public int MaxCodeBytes { get; set; } = 256 * 1024;
    public int MaxConcurrentPerApp { get; set; } = 16;
}
