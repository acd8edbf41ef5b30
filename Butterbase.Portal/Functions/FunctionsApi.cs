using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Butterbase.Portal.Api;
using Butterbase.Portal.Connections;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Butterbase.Portal.Functions;

/// <summary>`/v1/{appId}/functions` (deploy, list, get, delete, invocations; API key) and `POST /v1/{appId}/fn/{name}` (any credential of the app).</summary>
public static class FunctionsApi
{
    public static RouteGroupBuilder MapFunctionsApi(this RouteGroupBuilder app)
    {
        var functions = app.MapGroup("/functions").WithTags("Functions").RequireAuthorization(ApiPolicies.AppAdmin);
        functions.MapPost("", Deploy); // validated in the handler: the code check joins the other problems
        functions.MapGet("", List);
        functions.MapGet("/{name}", Get);
        functions.MapDelete("/{name}", Delete);
        functions.MapGet("/{name}/invocations", Invocations);
        functions.MapGet("/{name}/schedules", Schedules).Produces<List<ScheduleView>>().Produces<ApiError>(404)
            .WithSummary("The function's cron schedules with their next run");
        functions.MapPut("/{name}/schedules", ReplaceSchedules).Produces<List<ScheduleView>>().Produces<ApiError>(404).Produces<ApiError>(422)
            .WithSummary("Replace the function's schedules (five-field cron, IANA time zone, run-as user or service rights, body, enabled)");
        app.MapPost("/fn/{name}", InvokeAsync).WithTags("Functions"); // any body type: JSON becomes ctx.body as a value, other text as a string
        return app;
    }

    public sealed record FunctionRow(string Id, string Name, IReadOnlyList<string> EnvVars, int TimeoutMs, int Version, DateTime CreatedAt, DateTime UpdatedAt, string? Code)
    {
        public static FunctionRow From(AppFunction f, bool withCode) =>
            new(f.Id, f.Name, Names(f), f.TimeoutMs, f.Version, f.CreatedAt, f.UpdatedAt, withCode ? f.Code : null);
    }

    public static IReadOnlyList<string> Names(AppFunction f) => f.EnvVarNames.Length == 0 ? [] : f.EnvVarNames.Split(',');

    public sealed record LogLine(string Level, string Message);

    public sealed record InvocationRow(string Id, string FunctionName, string? UserId, string Outcome, int HttpStatus, int DurationMs, string? Error,
        IReadOnlyList<LogLine> Logs, DateTime CreatedAt, string Trigger)
    {
        public static InvocationRow From(FunctionInvocation i) => new(i.Id, i.FunctionName, i.UserId, i.Outcome, i.HttpStatus, i.DurationMs, i.Error, LogsOf(i), i.CreatedAt, i.Trigger);
    }

    public static IReadOnlyList<LogLine> LogsOf(FunctionInvocation i) =>
        string.IsNullOrEmpty(i.Logs) ? [] : i.Logs.Split('\n').Select(l => l.Split('\t', 2) is [var level, var message] ? new LogLine(level, message.Replace("\\n", "\n")) : new LogLine("log", l)).ToList();

    private static async Task<IResult> Deploy(string appId, FunctionDeploy body, Functions functions, FluentValidation.IValidator<FunctionDeploy> validator,
        FunctionCodeCheck codeCheck, CancellationToken ct)
    {
        // Every problem in one answer: the fields' rules, and Deno's parse of the code when the code is there to parse.
        var problems = (await validator.ValidateAsync(body, ct)).Errors.Select(e => new ApiErrorDetail(e.PropertyName, e.ErrorMessage)).ToList();
        if (!string.IsNullOrEmpty(body.Code) && problems.All(p => p.Field != "code") && await codeCheck.ProblemAsync(body.Code, ct) is { } codeProblem)
            problems.Add(new ApiErrorDetail("code", codeProblem));
        if (problems.Count > 0) return ApiErrors.Validation(problems);
        var (row, created, problem) = await functions.DeployCheckedAsync(appId, body, ct, codeChecked: true);
        if (problem is not null) return ApiErrors.Validation([new ApiErrorDetail("code", problem)]);
        var view = FunctionRow.From(row!, withCode: false);
        return created ? TypedResults.Json(view, ApiJson.Snake, statusCode: 201) : TypedResults.Json(view, ApiJson.Snake);
    }

    private static async Task<IResult> List(string appId, Functions functions, CancellationToken ct)
    {
        var all = await functions.ListAsync(appId, ct);
        return TypedResults.Json(new Page<FunctionRow>(all.Select(f => FunctionRow.From(f, false)).ToList(), all.Count, all.Count, 0), ApiJson.Snake);
    }

    private static async Task<IResult> Get(string appId, string name, Functions functions, CancellationToken ct) =>
        await functions.FindAsync(appId, name, ct) is { } f
            ? TypedResults.Json(FunctionRow.From(f, withCode: true), ApiJson.Snake)
            : NotFound(name);

    private static async Task<IResult> Delete(string appId, string name, Functions functions, CancellationToken ct) =>
        await functions.DeleteAsync(appId, name, ct) ? TypedResults.NoContent() : NotFound(name);

    /// <summary>A page of invocations; <c>truncated</c> / <c>dropped_before</c> say the app's log quota dropped its older rows (of every function).</summary>
    public sealed record InvocationPage(IReadOnlyList<InvocationRow> Items, int Total, int Limit, int Offset, bool Truncated, DateTime? DroppedBefore);

    private static async Task<IResult> Invocations(string appId, string name, int? limit, int? offset, Functions functions, Execution.ExecutionLog log, CancellationToken ct)
    {
        var (l, o, problems) = Paging.Read(limit, offset);
        if (problems.Count > 0) return ApiErrors.Validation(problems);
        var (items, total) = await functions.InvocationsAsync(appId, name, l, o, ct);
        var mark = await log.TruncationAsync(appId, Execution.LogTruncation.Invocations, ct);
        return TypedResults.Json(new InvocationPage(items.Select(InvocationRow.From).ToList(), total, l, o, mark is not null, mark?.DroppedBefore), ApiJson.Snake);
    }

    /// <summary>`GET …/functions/{name}/schedules`: `[{ id, cron, timeZone, runAs, body, enabled, next_run_at }]` (docs/api.md "Scheduled functions").</summary>
    private static async Task<IResult> Schedules(string appId, string name, FunctionSchedules schedules, CancellationToken ct) =>
        await schedules.ListAsync(appId, name, ct) is { } list ? TypedResults.Json(list, JsonSerializerOptions.Web) : NotFound(name);

    /// <summary>`PUT …/functions/{name}/schedules` with the list (ids and next_run_at ignored): replaces rows and triggers, answers the stored list.</summary>
    private static async Task<IResult> ReplaceSchedules(string appId, string name, List<ScheduleInput>? body, FunctionSchedules schedules, CancellationToken ct)
    {
        if (body is null) return ApiErrors.Result(400, ErrorCodes.InvalidJson, "Send the schedules as a JSON array: [{ \"cron\": \"0 9 * * 1-5\", \"timeZone\": \"Europe/Berlin\" }].");
        var result = await schedules.ReplaceAsync(appId, name, body, ct);
        if (result.FunctionMissing) return NotFound(name);
        if (result.Problems is not null) return ApiErrors.Validation(result.Problems);
        return TypedResults.Json(result.Schedules, JsonSerializerOptions.Web);
    }

    private static JsonHttpResult<ApiError> NotFound(string name) =>
        ApiErrors.NotFound("function_not_found", $"This app has no function named '{name}'. Deploy it with POST /functions.");

    private static readonly HashSet<string> PrivateHeaders = new(StringComparer.OrdinalIgnoreCase) { "authorization", "cookie", "proxy-authorization" };

    /// <summary>Runs the function as the caller: a user token's subject is ctx.user; the API key has service rights (asUser).</summary>
    private static async Task InvokeAsync(string appId, string name, HttpContext http, ClaimsPrincipal principal, Functions functions, ConnectFlow flow)
    {
        var ct = http.RequestAborted;
        var function = await functions.FindAsync(appId, name, ct);
        if (function is null) { await NotFound(name).ExecuteAsync(http); return; }

        var bodyJson = await ReadBodyAsync(http.Request, ct);
        if (bodyJson is null) { await ApiErrors.WriteAsync(http, 400, ErrorCodes.InvalidJson, "The body is not valid JSON (send Content-Type: application/json with a JSON value, or text)."); return; }

        var caller = principal.Caller();
        var request = new FunctionRuntime.Request(bodyJson, http.Request.Method,
            // x-butterbase-* is the host's to set (a scheduled run's x-butterbase-schedule-id): a caller cannot pose as a schedule.
            http.Request.Headers.Where(h => !PrivateHeaders.Contains(h.Key) && !h.Key.StartsWith("x-butterbase-", StringComparison.OrdinalIgnoreCase)).ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
            http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()));
        var (outcome, invocationId) = await functions.InvokeAsync(function, request, caller.IsApiKey ? null : caller.UserId, flow.Origin(http.Request), ct);
        if (outcome is null)
        {
            http.Response.Headers.RetryAfter = "1";
            await ApiErrors.WriteAsync(http, 429, "too_many_invocations", $"This app already has {functions.Limits.MaxConcurrentPerApp} functions running; retry shortly.");
            return;
        }

        http.Response.Headers["X-Butterbase-Invocation-Id"] = invocationId;
        // A function's answer is the app's content served from the portal's origin: whatever it says it is (text/html
        // included), the browser must treat it as an opaque origin with no script, so one app cannot script the portal.
        http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; frame-ancestors 'none'";
        if (outcome.Kind != FunctionRuntime.Outcome.Ok)
        {
            await ApiErrors.WriteAsync(http, outcome.Status, outcome.ErrorCode, outcome.Error!);
            return;
        }

        http.Response.StatusCode = outcome.Status;
        foreach (var (key, value) in outcome.Headers) http.Response.Headers.Append(key, value);
        if (outcome.ContentType is not null) http.Response.ContentType = outcome.ContentType;
        if (outcome.Body is not null && outcome.Status is not (204 or 205)) await http.Response.WriteAsync(outcome.Body, ct);
    }

    /// <summary>The body as a JSON text for ctx.body: JSON as sent, any other text as a JSON string, nothing as "". Null when JSON was promised but is malformed.</summary>
    private static async Task<string?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(ct);
        if (text.Length == 0) return "";
        var isJson = request.ContentType is null || request.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase);
        if (!isJson) return JsonSerializer.Serialize(text);
        try { using var _ = JsonDocument.Parse(text); return text; }
        catch (JsonException) { return null; }
    }
}
