using System.Threading.Channels;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Execution;

/// <summary>One tool run, as the portal's Executions page shows it. Request and response are stored redacted.</summary>
public sealed class ExecutionRecord
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string UserId { get; init; }
    public required string ToolName { get; init; }
    public required string ToolkitSlug { get; init; }
    public string? ConnectionId { get; init; }
    /// <summary>Who asked: <see cref="ExecutionSources"/> (`api`, `mcp`, `function`, `playground`).</summary>
    public string Source { get; init; } = ExecutionSources.Api;
    public bool Successful { get; init; }
    public string? ErrorCode { get; init; }
    public int? UpstreamStatus { get; init; }
    /// <summary>
    /// The status the API answered when it refused the call before any provider was called (404 unknown_tool, 409
    /// no_connection, 422 invalid_params, …); null for a run (answered 200 with the envelope). A refused row's status is `refused`.
    /// </summary>
    public int? HttpStatus { get; init; }
    public int DurationMs { get; init; }
    public string? Request { get; set; }
    public string? Response { get; set; }
    public DateTime CreatedAt { get; init; }

    internal static void Configure(ModelBuilder model) => model.Entity<ExecutionRecord>(e =>
    {
        e.ToTable("Executions");
        e.HasKey(x => x.Id);
        e.Property(x => x.Id).HasMaxLength(40);
        e.Property(x => x.Source).HasMaxLength(16).HasDefaultValue(ExecutionSources.Api);
        // HttpStatus last: the quota trim (ExecutionLog.TrimAsync) walks an app's rows newest first with runs and refused
        // rows apart, and reads it from the index instead of looking each row up in the table (docs/architecture.md "Execute").
        e.HasIndex(x => new { x.AppId, x.CreatedAt, x.HttpStatus });
        e.HasIndex(x => x.CreatedAt);
    });
}
