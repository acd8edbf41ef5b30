using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Functions;

/// <summary>A JavaScript handler an app deployed, invoked at `POST /v1/{appId}/fn/{name}`.</summary>
public sealed class AppFunction
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string Name { get; init; }
    public required string Code { get; set; }
    /// <summary>The environment variables as one JSON object, encrypted with Data Protection (purpose-bound to the app and function).</summary>
    public string? EnvVarsProtected { get; set; }
    /// <summary>The names only, readable without decrypting: what the API and the portal show.</summary>
    public string EnvVarNames { get; set; } = "";
    public int TimeoutMs { get; set; }
    public int Version { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }

    internal static void Configure(ModelBuilder model)
    {
        model.Entity<AppFunction>(e =>
        {
            e.ToTable("Functions");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.Name).HasMaxLength(64);
            e.HasIndex(x => new { x.AppId, x.Name }).IsUnique();
            e.Property(x => x.Version).IsConcurrencyToken();
        });
        model.Entity<FunctionInvocation>(e =>
        {
            e.ToTable("FunctionInvocations");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.HasIndex(x => new { x.AppId, x.FunctionName, x.CreatedAt });
            e.HasIndex(x => x.CreatedAt);
            e.Property(x => x.Trigger).HasMaxLength(16).HasDefaultValue(InvocationTrigger.Http);
        });
        FunctionSchedule.Configure(model);
    }
}

/// <summary>One run of a function: outcome, timing, and what it wrote with console.*.</summary>
public sealed class FunctionInvocation
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string FunctionName { get; init; }
    /// <summary>The end user behind the call (user token), or null for the app's API key.</summary>
    public string? UserId { get; init; }
    /// <summary>`ok`, `error`, `timeout` or `limit`.</summary>
    public required string Outcome { get; init; }
    public int HttpStatus { get; init; }
    public int DurationMs { get; init; }
    public string? Error { get; set; }
    /// <summary>console.* lines, one per line as `level\tmessage`, capped.</summary>
    public string? Logs { get; set; }
    public int FunctionVersion { get; init; }
    public DateTime CreatedAt { get; init; }
    /// <summary>What started it: `http`, `schedule` or `test` (the portal's Run), <see cref="InvocationTrigger"/>.</summary>
    public string Trigger { get; init; } = InvocationTrigger.Http;
}
