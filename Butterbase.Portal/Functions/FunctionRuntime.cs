using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Butterbase.Portal.Functions;

/// <summary>
/// Runs a deployed handler out of the portal's process: in a Deno worker process of <see cref="FunctionWorkerPool"/>, in a
/// fresh V8 isolate with every permission denied (no file system, environment, network, subprocess or FFI). The host
/// enforces wall time (the isolate is terminated, the process killed if it does not answer), the heap (V8 aborts the
/// process, which only this invocation shares), resident memory and CPU priority (the pool's monitor), and output sizes.
/// Tool calls come back over the worker's connection under the invocation's capability (<see cref="RunningInvocation"/>).
/// docs/architecture.md, "Functions".
/// </summary>
public sealed class FunctionRuntime(FunctionWorkerPool pool, Microsoft.Extensions.Options.IOptions<FunctionLimits> options)
{
    private readonly FunctionLimits limits = options.Value;
    /// <summary>Each function version's code as the worker receives it (base64 of its UTF-8 text for a data: URL).</summary>
    private readonly ConcurrentDictionary<string, (int Version, string Base64)> _code = new();

    /// <summary>What the host offers a running function: tool execution as a user (null = the caller).</summary>
    public delegate Task<string> ExecuteTool(string? asUserId, string toolName, string paramsJson, string? connectionId, CancellationToken ct);

    /// <summary>The HTTP request as the handler sees it: the body as JSON text ("" for none), no credentials among the headers.</summary>
    public sealed record Request(string BodyJson, string Method, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Query);

    public sealed record Invocation(
        string BodyJson, string? UserId, IReadOnlyDictionary<string, string> Env,
        string Method, string Path, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Query);

    public sealed record Outcome(string Kind, int Status, string? ContentType, string? Body, IReadOnlyList<KeyValuePair<string, string>> Headers, string? Error, IReadOnlyList<string> Logs)
    {
        public const string Ok = "ok", Failed = "error", TimedOut = "timeout", LimitExceeded = "limit", Crashed = "crashed";

        /// <summary>The API error code for a run that did not finish.</summary>
        public string ErrorCode => Kind switch
        {
            TimedOut => "function_timeout",
            LimitExceeded => "function_limit_exceeded",
            Crashed => "function_crashed",
            _ => "function_error",
        };
    }

    public async Task<Outcome> RunAsync(AppFunction function, Invocation call, ExecuteTool execute, CancellationToken requestAborted)
    {
        var code = _code.TryGetValue(function.Id, out var cached) && cached.Version == function.Version
            ? cached.Base64
            : (_code[function.Id] = (function.Version, Convert.ToBase64String(Encoding.UTF8.GetBytes(function.Code)))).Base64;
        var timeoutMs = function.TimeoutMs;
        // The worker stops the isolate at the timeout; the host gives it a second more, then kills the process.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        deadline.CancelAfter(timeoutMs);
        FunctionWorker worker;
        try { worker = await pool.AcquireAsync(deadline.Token); }
        catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
        {
            return new(Outcome.TimedOut, 504, null, null, [], $"No function worker was free within the function's {timeoutMs} ms timeout.", []);
        }

        var running = new RunningInvocation(function.AppId, JsonSerializer.Serialize(call, JsonSerializerOptions.Web), timeoutMs, execute, limits, deadline.Token);
        worker.CpuTicksAtStart = FunctionWorkerPool.CpuTicks(worker.Pid);
        await worker.StartAsync(running, code);
        using var hardStop = new CancellationTokenSource(timeoutMs + 1000);
        using (hardStop.Token.Register(() => { running.TimeOut(); worker.Kill(); }))
        using (requestAborted.Register(() => { running.Cancel(); _ = worker.SendAsync(new { t = "cancel", inv = running.Id }); }))
        {
            try { return await running.Outcome; }
            finally { deadline.Cancel(); } // tool calls still queued or running end with the invocation
        }
    }

    private static Outcome Failed(string kind, int status, string message, ConsoleLog logs) =>
        new(kind, status, null, null, [], message, logs.Lines);

    /// <summary>
    /// Headers a function may set on its response. An allow-list, not a block-list: the response is served from the
    /// portal's origin, where headers such as NEL/Report-To (an origin-wide reporting policy), Clear-Site-Data (the
    /// portal's cookies), Location (an open redirect), Set-Cookie or CSP would act on the portal and other apps.
    /// </summary>
    private static readonly HashSet<string> AllowedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-type", "cache-control", "etag", "last-modified", "expires", "content-language", "content-disposition", "vary",
    };

    private static bool Allowed(string name) =>
        AllowedHeaders.Contains(name) || name.StartsWith("x-", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("x-butterbase-", StringComparison.OrdinalIgnoreCase);

    /// <summary>The handler's wire result: `{kind:"json", body}`, `{kind:"empty"}` or `{kind:"response", status, headers, body}`.</summary>
    internal static Outcome ToResponse(JsonElement root, ConsoleLog logs)
    {
        switch (root.GetProperty("kind").GetString())
        {
            case "empty": return new(Outcome.Ok, 204, null, null, [], null, logs.Lines);
            case "json": return new(Outcome.Ok, 200, "application/json; charset=utf-8", root.GetProperty("body").GetString(), [], null, logs.Lines);
        }

        var status = root.GetProperty("status").GetInt32();
        if (status is < 200 or > 599 or 304)
            return Failed(Outcome.Failed, 500, $"The handler returned a Response with status {status}; use 200–599 (not 304).", logs);
        var headers = new List<KeyValuePair<string, string>>();
        string? contentType = null;
        foreach (var header in root.GetProperty("headers").EnumerateObject())
        {
            var value = header.Value.GetString() ?? "";
            if (header.Name.Length == 0 || header.Name.Any(c => c <= ' ' || c >= 127 || c == ':') || value.Any(c => c < ' ' && c != '\t' || c >= 127))
                return Failed(Outcome.Failed, 500, $"The handler returned an invalid header '{header.Name}'.", logs);
            if (!Allowed(header.Name)) continue;
            if (header.Name.Equals("content-type", StringComparison.OrdinalIgnoreCase)) contentType = value;
            else headers.Add(new(header.Name, value));
        }
        var body = root.GetProperty("body");
        var text = body.ValueKind == JsonValueKind.Null ? null : body.GetString();
        return new(Outcome.Ok, status, contentType ?? (text is null ? null : "text/plain; charset=utf-8"), text, headers, null, logs.Lines);
    }
}
