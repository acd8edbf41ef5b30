using System.Threading.Channels;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Execution;

/// <summary>
/// The mark an app's log carries once its quota made the writer drop rows (<see cref="ExecutionLog"/>): the Executions and
/// Invocations views and the API lists say the log is truncated and since when. One row per app and log.
/// </summary>
public sealed class LogTruncation
{
    public const string Executions = "executions";
    public const string Invocations = "invocations";

    public required string AppId { get; init; }
    /// <summary><see cref="Executions"/> or <see cref="Invocations"/>.</summary>
    public required string Log { get; init; }
    /// <summary>Rows of the app created before this time were dropped (the oldest row kept at the last trim).</summary>
    public DateTime DroppedBefore { get; set; }
    public long DroppedRows { get; set; }
    public DateTime UpdatedAt { get; set; }

    internal static void Configure(ModelBuilder model)
    {
        model.Entity<LogTruncation>(e =>
        {
            e.ToTable("LogTruncations");
            e.HasKey(x => new { x.AppId, x.Log });
            e.Property(x => x.AppId).HasMaxLength(40);
            e.Property(x => x.Log).HasMaxLength(16);
        });
        // The quota pass finds an app's oldest invocations whatever the function: it needs the app's rows in time order.
        model.Entity<Functions.FunctionInvocation>().HasIndex(x => new { x.AppId, x.CreatedAt });
    }
}
