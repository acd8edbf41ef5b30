using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Toolkits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Execution;

/// <summary>
/// The last step of an execute: the envelope and its log row for a run, a refused row for a refusal, and what a failure
/// tells the app and the connection (docs/architecture.md "Execute", "Executions log"). Refused rows are bounded twice so a
/// flood of bad calls can neither grow the database nor push out real runs: at most
/// <see cref="LogQuota.RefusedRowsPerMinute"/> per app are queued (the rest are only counted in telemetry), and the log
/// keeps at most <see cref="LogQuota.MaxRefusedRowsPerApp"/> of them per app, trimmed among themselves (<see cref="ExecutionLog"/>).
/// </summary>
public sealed partial class ExecutionRecorder : IDisposable
{
    private readonly IDbContextFactory<PortalDb> _dbFactory;
    private readonly ExecutionLog _log;
    private readonly ConnectionLifecycle _lifecycle;
    private readonly Webhooks.WebhookOutbox _outbox;
    private readonly ConnectLinks _links;
    private readonly TimeProvider _clock;
    private readonly PartitionedRateLimiter<string>? _refusedRows;
    private readonly int _maxText;

    public ExecutionRecorder(IDbContextFactory<PortalDb> dbFactory, ExecutionLog log, ConnectionLifecycle lifecycle, Webhooks.WebhookOutbox outbox,
        ConnectLinks links, IOptions<LogQuota> quota, TimeProvider clock)
    {
        (_dbFactory, _log, _lifecycle, _outbox, _links, _clock) = (dbFactory, log, lifecycle, outbox, links, clock);
        _maxText = quota.Value.MaxTextBytesPerRow;
        var perMinute = quota.Value.RefusedRowsPerMinute;
        if (perMinute > 0)
            _refusedRows = PartitionedRateLimiter.Create<string, string>(appId => RateLimitPartition.GetTokenBucketLimiter(appId, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = perMinute, TokensPerPeriod = Math.Max(1, perMinute / 6), ReplenishmentPeriod = TimeSpan.FromSeconds(10),
                QueueLimit = 0, AutoReplenishment = true,
            }));
    }

    public void Dispose() => _refusedRows?.Dispose();

    /// <summary>What a refused row names when the caller's tool name could not be one (it may be a pasted secret).</summary>
    public const string UnnamedTool = "(not a tool name)";

    private static bool IsToolName(string name) => ToolName().IsMatch(name) && !LooksSecret(name);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)] // the catalog's own rule for tool names
    private static partial Regex ToolName();

    /// <summary>
    /// Records a refused call (the tool unknown, the toolkit off, invalid parameters, no usable connection, a missing
    /// scope, …) as a row with its code, the status the API answered and the parameters redacted, then returns the failure.
    /// </summary>
    public ExecuteFailure Refused(ToolRunner.Call call, Toolkit? toolkit, ToolDefinition? tool, string? connectionId, long started, ExecuteFailure failure) =>
        AddRefused(call.AppId, call.UserId, call.Source, started, failure, toolkit, connectionId,
            // An unknown tool's name is the caller's text: kept only when it could be a tool's name (a token pasted there is not).
            tool?.Name ?? (IsToolName(call.ToolName) ? call.ToolName : UnnamedTool),
            // invalid_json: text the writer could not even write out; nothing of it is kept.
            failure.Code == ErrorCodes.InvalidJson ? null : RedactedParams(call.Params),
            Stored(call, tool, failure.ToApiError()));

    /// <summary>
    /// Records a refused proxy call like a refused execute (docs/architecture.md "Proxy"): named `{TOOLKIT}_PROXY` when the
    /// toolkit is known, with the method and the path's length, never the path, query, headers or body the caller wrote
    /// (any of them may carry a credential).
    /// </summary>
    public ExecuteFailure RefusedProxy(ProxyRunner.Call call, Toolkit? toolkit, string? connectionId, long started, ExecuteFailure failure)
    {
        var method = ProxyRules.Methods.Contains(call.Method.ToUpperInvariant()) ? call.Method.ToUpperInvariant() : "(method)";
        var error = failure.ToApiError();
        return AddRefused(call.AppId, call.UserId, call.Source, started, failure, toolkit, connectionId,
            toolkit is null ? UnknownProxy : ProxyRules.Upper(toolkit.Slug) + "_PROXY", $"{method} (a path of {call.Path.Length} characters)",
            // The one message that repeats the caller's text: the toolkit they named.
            error with
            {
                Message = failure.Code == ErrorCodes.UnknownToolkit ? "There is no such toolkit." : error.Message,
                Details = StoredDetails(error.Details),
            });
    }

    /// <summary>The refused row, within the app's refused-row rate (<see cref="TakeRefusedRow"/>); answers the failure.</summary>
    private ExecuteFailure AddRefused(string appId, string userId, string source, long started, ExecuteFailure failure, Toolkit? toolkit,
        string? connectionId, string toolName, string? request, ApiError stored)
    {
        if (!TakeRefusedRow(appId)) return failure;
        var now = _clock.GetUtcNow(); // the id's time and created_at are one reading
        _log.Add(new ExecutionRecord
        {
            Id = Ids.Ordered("ex_", 20, now), AppId = appId, UserId = userId, ToolName = toolName, ToolkitSlug = toolkit?.Slug ?? "",
            ConnectionId = connectionId, Source = source, Successful = false, ErrorCode = failure.Code, HttpStatus = failure.Status,
            DurationMs = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            Request = request, Response = JsonSerializer.Serialize(stored, ApiJson.Snake), CreatedAt = now.UtcDateTime,
        });
        return failure;
    }

    /// <summary>What a refused proxy row names when the toolkit is unknown.</summary>
    public const string UnknownProxy = "(proxy)";

    /// <summary>One refused row more for this app within <see cref="LogQuota.RefusedRowsPerMinute"/>; beyond it only counted.</summary>
    private bool TakeRefusedRow(string appId)
    {
        if (_refusedRows is null) return true;
        using var lease = _refusedRows.AttemptAcquire(appId);
        if (!lease.IsAcquired) Telemetry.PortalTelemetry.RefusedRowsDropped.Add(1);
        return lease.IsAcquired;
    }

    /// <summary>
    /// Before any call: a scope the connection was never granted would only earn the provider's 403 (docs/architecture.md
    /// "Scopes per tool"). The answer names the scopes and links to a consent that asks for them; the connection's history
    /// notes it (`connection.scope_insufficient`, at most hourly).
    /// </summary>
    public async Task<ExecuteFailure?> MissingScopeAsync(ToolRunner.Call call, Toolkit toolkit, ToolDefinition tool, Connection connection)
    {
        if (ToolScopes.Missing(tool, connection.Scopes) is not { } missing) return null;
        await _lifecycle.ScopeInsufficientAsync(_dbFactory, connection, $"{tool.Name}: the connection lacks {string.Join(" or ", missing)}.", CancellationToken.None);
        return new ExecuteFailure(ErrorCodes.InsufficientScope, 403,
            $"{tool.Name} needs the {toolkit.Name} scope {missing[0]}{(missing.Count > 1 ? $" (or one of {string.Join(", ", missing.Skip(1))})" : "")}, "
            + "which this connection was not granted: send the user to reconnect_url to grant it, then retry.",
            missing.Select(s => new ApiErrorDetail("scope", s)).ToList(), ReconnectUrl(call, toolkit, connection, missing.Take(1)));
    }

    /// <summary>
    /// A run's envelope and log row; then what a failure tells the app: a provider's 403 for lack of scope is a lifecycle
    /// change of the connection (`connection.scope_insufficient`, at most hourly), and any failed run is `execution.failed`
    /// for endpoints that opted in (one indexed read of the app's endpoints when none did).
    /// </summary>
    public async Task<ExecuteResult> RunAsync(ToolRunner.Call call, Toolkit toolkit, ToolDefinition tool, Connection connection, long started, ProviderAnswer answer)
    {
        var outcome = answer.Outcome;
        var now = _clock.GetUtcNow(); // the id's time and created_at are one reading
        var executionId = Ids.Ordered("ex_", 20, now);
        // A provider's own "missing scope" answer gets the same way out as the check before the call: the scopes it named
        // (else the tool's) and a consent link asking for them.
        var scopes = outcome.ErrorCode == ErrorCodes.InsufficientScope ? outcome.Scopes ?? (tool.Scopes.Length > 0 ? tool.Scopes : null) : null;
        var error = outcome.Successful ? null : new ExecuteError(outcome.ErrorCode ?? ErrorCodes.UpstreamError, outcome.ErrorMessage ?? "The provider call failed.",
            outcome.ErrorCode is ErrorCodes.RateLimited or ErrorCodes.Timeout || answer.Status >= 500, answer.RetryAfterMs, answer.Status,
            scopes, scopes is null ? null : ReconnectUrl(call, toolkit, connection, scopes.Take(1)));
        _log.Add(new ExecutionRecord
        {
            Id = executionId, AppId = call.AppId, UserId = call.UserId, ToolName = tool.Name, ToolkitSlug = toolkit.Slug,
            ConnectionId = connection.Id, Source = call.Source, Successful = outcome.Successful, ErrorCode = error?.Code, UpstreamStatus = answer.Status,
            DurationMs = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds, Request = answer.Request,
            // The provider's bytes as they came, decoded only up to the per-row cap (no second serialization of the parsed answer).
            Response = answer.RawJson is { } raw ? LogQuota.CapUtf8(raw, _maxText) : outcome.Data?.ToJsonString(), // cut to the per-row cap by the log
            CreatedAt = now.UtcDateTime,
        });
        _log.Touch(connection.Id);
        var result = new ExecuteResult(outcome.Successful, outcome.Data, error, executionId);
        if (outcome.Successful) return result;
        // Not the caller's token: the answer is already decided, and the events must not be lost to a client hanging up.
        var ct = CancellationToken.None;
        if (outcome.ErrorCode == ErrorCodes.InsufficientScope)
            await _lifecycle.ScopeInsufficientAsync(_dbFactory, connection, $"{tool.Name}: {toolkit.Name} answered 403 (missing scope).", ct);
        await _outbox.SendAsync(_dbFactory, call.AppId, Webhooks.WebhookEvents.ExecutionFailed, new
        {
            executionId, toolName = tool.Name, toolkit = toolkit.Slug, userId = call.UserId, connectionId = connection.Id,
            errorCode = error!.Code, upstreamStatus = answer.Status,
        }, ct);
        return result;
    }

    /// <summary>A connect link that reconnects this connection asking for <paramref name="scopes"/> too (OAuth connections only).</summary>
    private string? ReconnectUrl(ToolRunner.Call call, Toolkit toolkit, Connection connection, IEnumerable<string> scopes) =>
        connection.AuthScheme == AuthSchemes.OAuth2 ? _links.Create(call.AppId, call.UserId, toolkit.Slug, scopes.ToList(), connection.Id) : null;

    private const string Masked = "***";

    /// <summary>
    /// The refusal as its row keeps it: a detail's field path is the caller's member names, kept as
    /// <see cref="RedactedParams"/> keeps them; an unknown tool's name only where it could be one.
    /// </summary>
    private static ApiError Stored(ToolRunner.Call call, ToolDefinition? tool, ApiError error) => error with
    {
        Message = tool is null && !IsToolName(call.ToolName) ? $"There is no tool {UnnamedTool}." : error.Message,
        Details = StoredDetails(error.Details),
    };

    private static List<ApiErrorDetail>? StoredDetails(IReadOnlyList<ApiErrorDetail>? details) => details?.Select(d => d with
    {
        Field = string.Join('.', d.Field.Split('.').Select(part => IsPlainName(part) || part.All(char.IsAsciiDigit) ? part : "(name)")),
    }).ToList();

    /// <summary>
    /// The caller's parameters as a refused row keeps them: their shape, never a value. Names stay where they are plain
    /// identifiers that do not look like a credential; every string becomes its length, every number `(number)`; true,
    /// false and null stay; arrays keep their first 20 items' shapes. A caller who put a key, a password or a card
    /// number into any parameter, under any name, at any depth, finds none of it in the log (docs/security.md
    /// "Execution log"), and what was refused can still be told apart (a missing member, a string where an object was
    /// due). Text that is not valid Unicode keeps nothing.
    /// </summary>
    internal static string? RedactedParams(JsonElement? parameters)
    {
        if (parameters is not { ValueKind: not JsonValueKind.Undefined } given || !ToolParameters.IsValidUnicode(given)) return null;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            Write(writer, given, depth: 0);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element, int depth)
    {
        if (depth > 32) { writer.WriteStringValue("…"); return; }
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                var hidden = 0;
                foreach (var member in element.EnumerateObject())
                {
                    writer.WritePropertyName(IsPlainName(member.Name) ? member.Name : $"(name {++hidden})");
                    Write(writer, member.Value, depth + 1);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                var items = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (++items > 20) { writer.WriteStringValue($"({element.GetArrayLength() - 20} more)"); break; }
                    Write(writer, item, depth + 1);
                }
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue($"(string, {element.GetString()!.Length} chars)");
                break;
            case JsonValueKind.Number:
                writer.WriteStringValue("(number)");
                break;
            default:
                element.WriteTo(writer); // true, false, null
                break;
        }
    }

    /// <summary>
    /// A parameter name worth keeping: an identifier of at most 64 characters that neither says credential (as
    /// <see cref="ToolRunner.Describe"/> masks query names) nor is shaped like one (a token used as a key).
    /// </summary>
    internal static bool IsPlainName(string name) =>
        PlainName().IsMatch(name) && !ToolRunner.Sensitive(name) && !LooksSecret(name);

    /// <summary>
    /// A string shaped like a credential: a known token prefix (Stripe `sk_live_`, GitHub `ghp_`, Slack `xoxb-`, Google
    /// `ya29.`/`AIza`, AWS `AKIA`, our own `bb_` keys), a JWT, or a long unbroken run of letters and digits (32+, both kinds).
    /// </summary>
    internal static bool LooksSecret(string value) =>
        value.Length >= 8 && (KnownSecret().IsMatch(value) || value.Length >= 32 && LongOpaque().IsMatch(value));

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainName();

    [GeneratedRegex(@"^\s*(?:(?:sk|pk|rk)_(?:live|test)_|gh[pousr]_|github_pat_|xox[abposr]-|ya29\.|AIza|AKIA[0-9A-Z]{12}|bb_|eyJ[\w-]+\.[\w-]+\.|(?:Bearer|Basic|Bot|token)\s+\S{8}|-----BEGIN )", RegexOptions.CultureInvariant)]
    private static partial Regex KnownSecret();

    [GeneratedRegex(@"^(?=[^\s]*\d)(?=[^\s]*[A-Za-z])[A-Za-z0-9_\-+=/.]{32,}$", RegexOptions.CultureInvariant)]
    private static partial Regex LongOpaque();
}
