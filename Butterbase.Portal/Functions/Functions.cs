using Butterbase.Portal.Api;
using System.Collections.Concurrent;
using System.Text.Json;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Telemetry;
using FluentValidation;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Functions;

/// <summary>What an app deploys: `POST /v1/{appId}/functions` and the portal's editor send the same thing.</summary>
public sealed record FunctionDeploy(string? Name, string? Code, Dictionary<string, string>? EnvVars, int? TimeoutMs);

public sealed class FunctionDeployValidator : AbstractValidator<FunctionDeploy>
{
    public FunctionDeployValidator(IOptions<FunctionLimits> options)
    {
        var limits = options.Value;
        RuleFor(x => x.Name).NotEmpty().WithMessage("Name the function, e.g. \"welcome-email\".")
            .Matches("^[a-z0-9][a-z0-9_-]{0,62}$").WithMessage("Use 1–63 lowercase letters, digits, - and _, starting with a letter or digit.")
            .OverridePropertyName("name");
        RuleFor(x => x.Code).NotEmpty().WithMessage("Paste the handler's code: `export default async function handler(ctx) { … }`.")
            .Must(c => c is null || System.Text.Encoding.UTF8.GetByteCount(c) <= limits.MaxCodeBytes).WithMessage($"The code is over {limits.MaxCodeBytes / 1024} KB.")
            .OverridePropertyName("code");
        RuleFor(x => x.TimeoutMs).InclusiveBetween(100, limits.MaxTimeoutMs).When(x => x.TimeoutMs is not null)
            .WithMessage($"Use a timeout from 100 to {limits.MaxTimeoutMs} ms.").OverridePropertyName("timeoutMs");
        RuleFor(x => x.EnvVars).Must(e => e!.Count <= 50).When(x => x.EnvVars is not null).WithMessage("At most 50 environment variables.").OverridePropertyName("envVars");
        RuleForEach(x => x.EnvVars).OverrideIndexer((_, _, kv, _) => "." + kv.Key)
            .Must(kv => System.Text.RegularExpressions.Regex.IsMatch(kv.Key, "^[A-Za-z_][A-Za-z0-9_]{0,63}$"))
            .WithMessage((_, kv) => $"'{kv.Key}' is not a valid variable name: letters, digits and _, not starting with a digit.")
            .Must(kv => kv.Value is not null && kv.Value.Length <= 4096).WithMessage((_, kv) => $"The value of {kv.Key} is missing or over 4096 characters.")
            .OverridePropertyName("envVars");
    }
}

/// <summary>
/// Deploys, finds and runs an app's functions. Code is checked at deploy (<see cref="FunctionCodeCheck"/>) and runs out of
/// process (<see cref="FunctionRuntime"/>), each invocation in a fresh isolate, so nothing leaks between calls.
/// </summary>
public sealed class Functions(
    IDbContextFactory<PortalDb> dbFactory, IDataProtectionProvider dataProtection, IOptions<FunctionLimits> options, TimeProvider clock,
    FunctionRuntime runtime, FunctionCodeCheck codeCheck, ToolRunner runner, ExecutionLog log, FunctionSchedules schedules, Webhooks.WebhookOutbox outbox, ILogger<Functions> logger)
{
    private const string EnvPurpose = "Butterbase.Functions.EnvVars.v1";
    /// <summary>At most <see cref="FunctionLimits.MaxConcurrentPerApp"/> invocations per app at once in this instance; no queue.</summary>
    private readonly System.Threading.RateLimiting.PartitionedRateLimiter<string> _running =
        System.Threading.RateLimiting.PartitionedRateLimiter.Create<string, string>(appId =>
            System.Threading.RateLimiting.RateLimitPartition.GetConcurrencyLimiter(appId, _ =>
                new System.Threading.RateLimiting.ConcurrencyLimiterOptions { PermitLimit = options.Value.MaxConcurrentPerApp, QueueLimit = 0 }));
    public FunctionLimits Limits => options.Value;

    /// <summary>Deploys after the code check; a problem with the code (syntax error with its place, an import, no default export) comes back instead.</summary>
    public async Task<(AppFunction? Function, bool Created, string? CodeProblem)> DeployCheckedAsync(string appId, FunctionDeploy deploy, CancellationToken ct, bool codeChecked = false)
    {
        if (!codeChecked && await codeCheck.ProblemAsync(deploy.Code!, ct) is { } problem) return (null, false, problem);
        var (function, created) = await DeployAsync(appId, deploy, ct);
        return (function, created, null);
    }

    private async Task<(AppFunction Function, bool Created)> DeployAsync(string appId, FunctionDeploy deploy, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var row = await db.Set<AppFunction>().FirstOrDefaultAsync(f => f.AppId == appId && f.Name == deploy.Name, ct);
        var created = row is null;
        row ??= new AppFunction { Id = Ids.New("fn_"), AppId = appId, Name = deploy.Name!, Code = "", CreatedAt = now };
        row.Code = deploy.Code!;
        row.TimeoutMs = deploy.TimeoutMs ?? (created ? Limits.DefaultTimeoutMs : row.TimeoutMs);
        if (deploy.EnvVars is not null) // left out: the variables already set stay (redeploying code keeps its secrets)
        {
            row.EnvVarsProtected = deploy.EnvVars.Count == 0 ? null : Protector(appId, row.Id).Protect(JsonSerializer.Serialize(deploy.EnvVars));
            row.EnvVarNames = string.Join(',', deploy.EnvVars.Keys.Order(StringComparer.Ordinal));
        }
        row.Version++;
        row.UpdatedAt = now;
        if (created) db.Add(row);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) when (created) // a concurrent first deploy of the same name won: update that one
        {
            return await DeployAsync(appId, deploy, ct);
        }
        return (row, created);
    }

    public async Task<AppFunction?> FindAsync(string appId, string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<AppFunction>().AsNoTracking().FirstOrDefaultAsync(f => f.AppId == appId && f.Name == name, ct);
    }

    public async Task<List<AppFunction>> ListAsync(string appId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<AppFunction>().AsNoTracking().Where(f => f.AppId == appId).OrderBy(f => f.Name).ToListAsync(ct);
    }

    public async Task<bool> DeleteAsync(string appId, string name, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var id = await db.Set<AppFunction>().Where(f => f.AppId == appId && f.Name == name).Select(f => f.Id).FirstOrDefaultAsync(ct);
        if (id is null) return false;
        // Its schedules go with it (foreign key, cascade); then their triggers. Should that fail, a firing finds no row and removes its trigger.
        var deleted = await db.Set<AppFunction>().Where(f => f.Id == id).ExecuteDeleteAsync(ct);
        try { await schedules.RemoveFunctionAsync(id, ct); }
        catch (Exception e) when (e is not OperationCanceledException) { logger.LogWarning(e, "Could not remove the triggers of deleted function {Function}", id); }
        return deleted > 0;
    }

    public IReadOnlyDictionary<string, string> EnvOf(AppFunction function) =>
        function.EnvVarsProtected is null
            ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(Protector(function.AppId, function.Id).Unprotect(function.EnvVarsProtected))!;

    private IDataProtector Protector(string appId, string functionId) => dataProtection.CreateProtector(EnvPurpose, appId, functionId);



    /// <summary>Each function's latest invocation, in one query (the list page's "last run" column).</summary>
    public async Task<Dictionary<string, FunctionInvocation>> LatestInvocationsAsync(string appId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var latest = await db.Set<FunctionInvocation>().AsNoTracking().Where(i => i.AppId == appId)
            .GroupBy(i => i.FunctionName).Select(g => g.OrderByDescending(i => i.CreatedAt).First()).ToListAsync(ct);
        return latest.ToDictionary(i => i.FunctionName);
    }

    public async Task<(List<FunctionInvocation> Items, int Total)> InvocationsAsync(string appId, string? name, int limit, int offset, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Set<FunctionInvocation>().AsNoTracking().Where(i => i.AppId == appId);
        if (name is not null) query = query.Where(i => i.FunctionName == name);
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id).Skip(offset).Take(limit).ToListAsync(ct);
        return (items, total);
    }

    /// <summary>
    /// Runs <paramref name="function"/> for <paramref name="userId"/> (an end user's call) or with service rights (null: the app's API key,
    /// the portal, a schedule without run-as user), records the invocation with its <paramref name="trigger"/> (<see cref="InvocationTrigger"/>),
    /// and answers its outcome and id; a null outcome when the app's concurrency cap is reached (a scheduled run is then logged as skipped).
    /// </summary>
    public async Task<(FunctionRuntime.Outcome? Outcome, string InvocationId)> InvokeAsync(
        AppFunction function, FunctionRuntime.Request request, string? userId, string origin, CancellationToken ct, string trigger = InvocationTrigger.Http)
    {
        FunctionRuntime.Outcome outcome;
        using var span = PortalTelemetry.Source.StartActivity("function invoke");
        span?.SetTag("butterbase.app_id", function.AppId).SetTag("butterbase.function", function.Name).SetTag("butterbase.trigger", trigger);
        var started = clock.GetTimestamp();
        using (var slot = _running.AttemptAcquire(function.AppId))
        {
            if (!slot.IsAcquired)
            {
                // An HTTP caller hears 429 and retries; nobody hears a schedule's, so its log says the run was skipped.
                if (trigger == InvocationTrigger.Schedule)
                    log.Add(new FunctionInvocation
                    {
                        Id = Ids.New("inv_"), AppId = function.AppId, FunctionName = function.Name, UserId = userId, Outcome = FunctionRuntime.Outcome.LimitExceeded,
                        HttpStatus = 429, Error = $"Skipped: the app already had {Limits.MaxConcurrentPerApp} functions running.", FunctionVersion = function.Version,
                        CreatedAt = clock.GetUtcNow().UtcDateTime, Trigger = trigger,
                    });
                return (null, "");
            }
            var call = new FunctionRuntime.Invocation(request.BodyJson, userId, EnvOf(function), request.Method, "/fn/" + function.Name, request.Headers, request.Query);
            outcome = await runtime.RunAsync(function, call,
                (asUser, tool, json, connectionId, token) => ExecuteAsync(function.AppId, userId, asUser, tool, json, connectionId, origin, token), ct);
        }

        var invocation = new FunctionInvocation
        {
            Id = Ids.New("inv_"), AppId = function.AppId, FunctionName = function.Name, UserId = userId, Outcome = outcome.Kind,
            HttpStatus = outcome.Status, DurationMs = (int)clock.GetElapsedTime(started).TotalMilliseconds, Error = outcome.Error,
            Logs = outcome.Logs.Count == 0 ? null : string.Join('\n', outcome.Logs.Select(l => l.Replace("\n", "\\n"))),
            FunctionVersion = function.Version, CreatedAt = clock.GetUtcNow().UtcDateTime, Trigger = trigger,
        };
        log.Add(invocation); // written in batches with the execution log, pruned with it
        PortalTelemetry.FunctionInvocations.Add(1, new("trigger", trigger), new("outcome", outcome.Kind));
        span?.SetTag("butterbase.invocation_id", invocation.Id).SetTag("butterbase.outcome", outcome.Kind);
        if (outcome.Kind != FunctionRuntime.Outcome.Ok)
            await outbox.SendAsync(dbFactory, function.AppId, Webhooks.WebhookEvents.FunctionFailed, new
            {
                invocationId = invocation.Id, function = function.Name, userId, status = outcome.Status, reason = outcome.ErrorCode,
            }, CancellationToken.None);
        return (outcome, invocation.Id);
    }

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// ctx.integrations: `{ data, error }` like the SDK, never a throw into the handler. Without `asUser` the tool runs as the calling
    /// end user; `asUser(id)` needs service rights (an API-key call), except that a user may name itself.
    /// </summary>
    private async Task<string> ExecuteAsync(string appId, string? callerUserId, string? asUser, string tool, string paramsJson,
        string? connectionId, string origin, CancellationToken ct)
    {
        // The API's rule (an API key names anyone, a user token only itself); here the caller is the function's caller.
        var caller = new Api.ClaimsPrincipalCaller(appId, callerUserId is null, callerUserId);
        var (endUser, problem) = caller.EndUser(asUser);
        if (problem == Api.EndUserProblem.Unnamed)
            return Error(ErrorCodes.NoUser, "This call came with the app's API key, so there is no calling user: use ctx.integrations.asUser(userId).execute(…).", 400);
        if (problem == Api.EndUserProblem.NotSelf)
            return Error(ErrorCodes.Forbidden, "asUser(userId) needs service rights: only a call made with the app's API key may act for another user.", 403);
        if (endUser!.Length > 256) return Error(ErrorCodes.ValidationFailed, "asUser needs a user id of at most 256 characters.", 422);
        var userId = endUser;

        try
        {
            using var parameters = JsonDocument.Parse(paramsJson);
            var (result, error, status) = await runner.ExecuteAsync(new ToolRunner.Call(appId, userId, tool, parameters.RootElement.Clone(), connectionId, origin, ExecutionSources.Function), ct);
            if (error is not null) return JsonSerializer.Serialize(new { data = (object?)null, error = new { code = error.Error, message = error.Message, status, details = error.Details } }, Web);
            return JsonSerializer.Serialize(new { data = result, error = (object?)null }, Web);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e)
        {
            logger.LogError(e, "ctx.integrations.execute failed in the host for {Tool}", tool);
            return Error(ErrorCodes.InternalError, "The host could not run the tool.", 500);
        }

        static string Error(string code, string message, int status) => RunningInvocation.Error(code, message, status);
    }
}
