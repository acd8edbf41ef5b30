using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Butterbase.Portal.Api;

/// <summary>
/// The one error body of the API: `{ "error": "code", "message": "...", "details"?: [...] }`; `reconnect_url` only on
/// `insufficient_scope` (a connect link that asks the provider for the missing scopes, docs/architecture.md "Scopes per tool").
/// </summary>
public sealed record ApiError(
    string Error,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ApiErrorDetail>? Details = null,
    [property: JsonPropertyName("reconnect_url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReconnectUrl = null);

public sealed record ApiErrorDetail(string Field, string Message);

public static class ApiErrors
{
    public static JsonHttpResult<ApiError> Result(int status, string code, string message, IReadOnlyList<ApiErrorDetail>? details = null) =>
        TypedResults.Json(new ApiError(code, message, details), statusCode: status);

    public static JsonHttpResult<ApiError> NotFound(string code, string message) => Result(StatusCodes.Status404NotFound, code, message);

    public static JsonHttpResult<ApiError> Validation(IReadOnlyList<ApiErrorDetail> details) =>
        Result(StatusCodes.Status422UnprocessableEntity, ErrorCodes.ValidationFailed, "The request has invalid fields: see details.", details);

    /// <summary>Why the call may not act for the end user it named (see <see cref="ClaimsPrincipalCaller.EndUser"/>).</summary>
    public static JsonHttpResult<ApiError> ForEndUser(EndUserProblem problem) => problem switch
    {
        EndUserProblem.Unnamed => Validation([new("userId", "With an API key, say which end user to act for: \"userId\" (what asUser(userId) sends).")]),
        _ => Result(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "A user token acts for its own user only."),
    };

    public static bool IsApiRequest(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/v1") || context.Request.Path.StartsWithSegments("/mcp");

    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(new ApiError(code, message), JsonSerializerOptions.Web, context.RequestAborted);
    }

    /// <summary>Body for a status that reached the client with none (405 from routing, 404 for an unknown path, …).</summary>
    public static Task WriteForBareStatusAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (!IsApiRequest(http)) return Task.CompletedTask;
        var status = http.Response.StatusCode;
        var (code, message) = status switch
        {
            400 => (ErrorCodes.BadRequest, "The request could not be understood."),
            401 => (ErrorCodes.Unauthorized, "Send a valid API key or user token as 'Authorization: Bearer <credential>'."),
            403 => (ErrorCodes.Forbidden, "This credential may not do that."),
            404 => (ErrorCodes.NotFound, "There is no such endpoint or resource."),
            405 => (ErrorCodes.MethodNotAllowed, $"{http.Request.Method} is not allowed on this endpoint."),
            413 => (ErrorCodes.PayloadTooLarge, "The request body is larger than 1 MiB."),
            415 => (ErrorCodes.UnsupportedMediaType, "Send the body as application/json."),
            429 => (ErrorCodes.RateLimited, "Too many requests: slow down and retry after the time in Retry-After."),
            _ => ("error", "The request failed."),
        };
        return WriteAsync(http, status, code, message);
    }

    /// <summary>
    /// Turns exceptions into API errors: bad requests (malformed JSON, too large, wrong content type)
    /// keep their status with a stable code; anything else is a 500 that reveals nothing of the bug.
    /// </summary>
    public static async Task HandleExceptionAsync(HttpContext context)
    {
        var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (!IsApiRequest(context))
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync("<!DOCTYPE html><title>Error</title><h1>Something went wrong</h1><p>The error was logged. <a href=\"/\">Back to the portal</a>.</p>");
            return;
        }

        var (status, code, message) = exception switch
        {
            BadHttpRequestException { StatusCode: 413 } => (413, ErrorCodes.PayloadTooLarge, "The request body is larger than 1 MiB."),
            BadHttpRequestException { StatusCode: 415 } => (415, ErrorCodes.UnsupportedMediaType, "Send the body as application/json."),
            BadHttpRequestException { InnerException: JsonException } => (400, ErrorCodes.InvalidJson, "The body is not valid JSON for this endpoint."),
            BadHttpRequestException bad when bad.Message.Contains("JSON", StringComparison.OrdinalIgnoreCase) =>
                (400, ErrorCodes.InvalidJson, "The body is not valid JSON for this endpoint."),
            BadHttpRequestException bad when bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase) && bad.StatusCode == 400 =>
                (400, ErrorCodes.InvalidJson, "A JSON body is required."),
            BadHttpRequestException bad => (bad.StatusCode, ErrorCodes.BadRequest, "The request could not be understood."),
            _ => (500, ErrorCodes.InternalError, "Something went wrong on our side. It was logged; try again."),
        };
        await WriteAsync(context, status, code, message);
    }
}
