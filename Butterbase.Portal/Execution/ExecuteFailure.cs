using Butterbase.Portal.Api;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Why a call was refused before (or instead of) a provider answer: a stable code from <see cref="ErrorCodes"/>, the HTTP
/// status the API answers, a message for the developer, and the fields at fault. One type for every step of the execute
/// and proxy paths (docs/architecture.md "Execute"); the API, MCP and `ctx.integrations` each render it their way.
/// </summary>
/// <param name="ReconnectUrl">On insufficient_scope: a connect link that reconnects asking for the missing scope.</param>
public sealed record ExecuteFailure(string Code, int Status, string Message, IReadOnlyList<ApiErrorDetail>? Details = null, string? ReconnectUrl = null)
{
    /// <summary>A failure answering the catalog's status for <paramref name="code"/>.</summary>
    public static ExecuteFailure Of(string code, string message, IReadOnlyList<ApiErrorDetail>? details = null) =>
        new(code, ErrorCodes.StatusOf(code), message, details);

    /// <summary>The API's error body.</summary>
    public ApiError ToApiError() => new(Code, Message, Details, ReconnectUrl);
}

/// <summary>
/// What <see cref="ToolRunner"/> answers: the envelope of a run (the provider was called, or a coded tool decided; HTTP 200
/// whatever the provider said), or the <see cref="ExecuteFailure"/> that refused the call.
/// </summary>
public readonly record struct ToolRun(ExecuteResult? Result, ExecuteFailure? Failure)
{
    public static implicit operator ToolRun(ExecuteResult result) => new(result, null);
    public static implicit operator ToolRun(ExecuteFailure failure) => new(null, failure);

    /// <summary>The shape callers used before (result, API error, status): the Playground page reads it so.</summary>
    public void Deconstruct(out ExecuteResult? result, out ApiError? error, out int status)
    {
        result = Result;
        error = Failure?.ToApiError();
        status = Failure?.Status ?? 200;
    }
}

/// <summary>One step of the execute or proxy path: its value, or the <see cref="ExecuteFailure"/> that ends the call.</summary>
public readonly record struct Step<T>(T? Value, ExecuteFailure? Failure) where T : class
{
    public static implicit operator Step<T>(T value) => new(value, null);
    public static implicit operator Step<T>(ExecuteFailure failure) => new(null, failure);

    /// <summary>The (value, API error, status) shape pages read (the Playground's raw-request panel).</summary>
    public void Deconstruct(out T? value, out ApiError? error, out int status)
    {
        value = Value;
        error = Failure?.ToApiError();
        status = Failure?.Status ?? 200;
    }
}
