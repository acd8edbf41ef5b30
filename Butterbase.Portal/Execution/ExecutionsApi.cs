using System.Globalization;
using Butterbase.Portal.Api;
using Butterbase.Portal.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Execution;

/// <summary>
/// `GET /executions` and `GET /executions/{id}` (the app's API key): the execution log, newest first, filtered by source
/// (`api`, `mcp`, `function`, `playground`), tool, user, result and time, paged by an opaque cursor (keyset on time and
/// id, so a page is stable while new rows arrive). Refused calls (404/409/422/403 before any provider call) are rows too, status `refused`. The list leaves out the stored request and response; one row has them
/// (redacted when they were logged: no token or key is ever stored).
/// </summary>
public static class ExecutionsApi
{
    public static RouteGroupBuilder MapExecutionsApi(this RouteGroupBuilder integrations)
    {
        integrations.MapGet("/executions", ListAsync).RequireAuthorization(ApiPolicies.AppAdmin);
        integrations.MapGet("/executions/{id}", GetAsync).RequireAuthorization(ApiPolicies.AppAdmin);
        return integrations;
    }

    /// <param name="Status">successful | failed (the provider was called, or a coded tool decided) | refused (the API answered
    /// <paramref name="HttpStatus"/> with <paramref name="ErrorCode"/> before any provider call).</param>
    /// <param name="HttpStatus">A refused row's status (404, 409, 422, …); null otherwise.</param>
    public sealed record ExecutionItem(string Id, string Tool, string Toolkit, string UserId, string? ConnectionId, string Source,
        string Status, string? ErrorCode, int? UpstreamStatus, int DurationMs, DateTime CreatedAt, int? HttpStatus = null);

    /// <param name="Request">Redacted: a run's request without credentials; a refused call's parameters with credential-like values masked.</param>
    public sealed record ExecutionDetail(string Id, string Tool, string Toolkit, string UserId, string? ConnectionId, string Source,
        string Status, string? ErrorCode, int? UpstreamStatus, int DurationMs, DateTime CreatedAt, string? Request, string? Response, int? HttpStatus = null);

    public const string Successful = "successful", Failed = "failed", Refused = "refused";

    public sealed record ExecutionPage(IReadOnlyList<ExecutionItem> Items, string? NextCursor);

    private static readonly string[] Sources = [ExecutionSources.Api, ExecutionSources.Mcp, ExecutionSources.Function, ExecutionSources.Playground];

    public static async Task<Results<JsonHttpResult<ExecutionPage>, JsonHttpResult<ApiError>>> ListAsync(
        string appId, IDbContextFactory<PortalDb> dbFactory, string? source, string? tool, string? user, string? status,
        DateTime? from, DateTime? to, string? cursor, int? limit, CancellationToken ct)
    {
        var problems = new List<ApiErrorDetail>();
        if (source is not null && !Sources.Contains(source)) problems.Add(new("source", $"source is one of {string.Join(", ", Sources)}."));
        if (status is not null and not (Successful or Failed or Refused)) problems.Add(new("status", "status is successful, failed or refused."));
        if (limit is < 1 or > 200) problems.Add(new("limit", "limit is between 1 and 200."));
        if (tool?.Length > 64) problems.Add(new("tool", "At most 64 characters."));
        if (user?.Length > 256) problems.Add(new("user", "At most 256 characters."));
        var after = cursor is null ? null : ParseCursor(cursor);
        if (cursor is not null && after is null) problems.Add(new("cursor", "Pass back the next_cursor of a previous page."));
        if (problems.Count > 0) return ApiErrors.Validation(problems);

        var take = limit ?? 50;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Executions.AsNoTracking().Where(e => e.AppId == appId);
        if (source is not null) query = query.Where(e => e.Source == source);
        if (tool is { Length: > 0 }) query = query.Where(e => e.ToolName == tool);
        if (user is { Length: > 0 }) query = query.Where(e => e.UserId == user);
        if (status == Successful) query = query.Where(e => e.Successful);
        else if (status == Failed) query = query.Where(e => !e.Successful && e.HttpStatus == null);
        else if (status == Refused) query = query.Where(e => e.HttpStatus != null);
        if (from is { } f) { var utc = Utc(f); query = query.Where(e => e.CreatedAt >= utc); }
        if (to is { } t) { var utc = Utc(t); query = query.Where(e => e.CreatedAt < utc); }
        if (after is { } a) query = query.Where(e => e.CreatedAt < a.At || (e.CreatedAt == a.At && string.Compare(e.Id, a.Id) < 0));
        var rows = await query.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Id).Take(take + 1)
            .Select(e => new ExecutionItem(e.Id, e.ToolName, e.ToolkitSlug, e.UserId, e.ConnectionId, e.Source,
                e.Successful ? Successful : e.HttpStatus != null ? Refused : Failed, e.ErrorCode, e.UpstreamStatus, e.DurationMs, e.CreatedAt, e.HttpStatus))
            .ToListAsync(ct);
        var next = rows.Count > take ? Cursor(rows[take - 1]) : null;
        return TypedResults.Json(new ExecutionPage(rows.Take(take).ToList(), next), ApiJson.Snake);
    }

    public static async Task<Results<JsonHttpResult<ExecutionDetail>, JsonHttpResult<ApiError>>> GetAsync(
        string appId, string id, IDbContextFactory<PortalDb> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var e = await db.Executions.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.AppId == appId, ct);
        return e is null
            ? ApiErrors.NotFound(ErrorCodes.ExecutionNotFound, "No such execution in this app (the log keeps rows for the retention period).")
            : TypedResults.Json(new ExecutionDetail(e.Id, e.ToolName, e.ToolkitSlug, e.UserId, e.ConnectionId, e.Source,
                e.Successful ? Successful : e.HttpStatus != null ? Refused : Failed, e.ErrorCode, e.UpstreamStatus, e.DurationMs, e.CreatedAt,
                e.Request, e.Response, e.HttpStatus), ApiJson.Snake);
    }

    private static string Cursor(ExecutionItem last) =>
        WebEncoders.Base64UrlEncode(System.Text.Encoding.UTF8.GetBytes($"{last.CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture)}:{last.Id}"));

    private static (DateTime At, string Id)? ParseCursor(string cursor)
    {
        try
        {
            var text = System.Text.Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(cursor));
            var colon = text.IndexOf(':');
            return colon > 0 && long.TryParse(text[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks is > 0 and < 3155378975999999999 && text.Length - colon - 1 is > 0 and <= 40
                ? (new DateTime(ticks, DateTimeKind.Utc), text[(colon + 1)..]) : null;
        }
        catch (FormatException) { return null; }
    }

    /// <summary>A time given without an offset is UTC (as every time the API answers), not the server's local time.</summary>
    private static DateTime Utc(DateTime t) => t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime();
}
