using System.Text.Json;
using System.Text.Json.Serialization;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;

namespace Butterbase.Portal.Functions;

/// <summary>
/// A cron schedule of a function: the row is the truth, a Quartz trigger of the same id fires it
/// (<see cref="FunctionSchedules"/>). Deleting the function deletes its schedules (foreign key, cascade); redeploying
/// keeps them (the function's row, and so its id, stays).
/// </summary>
public sealed class FunctionSchedule
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string FunctionId { get; init; }
    /// <summary>Five fields, minute first, as the app sent it (whitespace normalised).</summary>
    public required string Cron { get; init; }
    /// <summary>IANA time zone the cron is read in.</summary>
    public required string TimeZone { get; init; }
    /// <summary>ctx.user of each run; null = service rights (ctx.integrations.asUser(id) works), as the API key's calls.</summary>
    public string? RunAs { get; init; }
    /// <summary>ctx.body of each run as JSON text; null for none.</summary>
    public string? Body { get; init; }
    public bool Enabled { get; init; }
    /// <summary>The order in the list the app sent.</summary>
    public int Position { get; init; }
    public DateTime CreatedAt { get; init; }

    internal static void Configure(ModelBuilder model)
    {
        model.Entity<FunctionSchedule>(e =>
        {
            e.ToTable("FunctionSchedules");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.AppId).HasMaxLength(40);
            e.Property(x => x.FunctionId).HasMaxLength(40);
            e.Property(x => x.Cron).HasMaxLength(120);
            e.Property(x => x.TimeZone).HasMaxLength(64);
            e.Property(x => x.RunAs).HasMaxLength(256);
            e.HasOne<AppFunction>().WithMany().HasForeignKey(x => x.FunctionId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.AppId, x.FunctionId });
        });
    }
}

/// <summary>How an invocation was started; shown in the invocation log and the API (`trigger`).</summary>
public static class InvocationTrigger
{
    public const string Http = "http", Schedule = "schedule", Test = "test";
}

/// <summary>One schedule as `PUT /v1/{appId}/functions/{name}/schedules` takes it (ids and next_run_at of a GET are ignored).</summary>
public sealed record ScheduleInput(string? Cron, string? TimeZone, string? RunAs, JsonElement? Body, bool? Enabled);

/// <summary>One schedule as the API answers it: the contract's names (docs/api.md "Scheduled functions"), so a GET can be PUT back as is.</summary>
public sealed record ScheduleView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("cron")] string Cron,
    [property: JsonPropertyName("timeZone")] string TimeZone,
    [property: JsonPropertyName("runAs")] string? RunAs,
    [property: JsonPropertyName("body")] JsonElement? Body,
    [property: JsonPropertyName("enabled")] bool Enabled,
    [property: JsonPropertyName("next_run_at")] DateTimeOffset? NextRunAt);

/// <summary>`Butterbase:Functions:Schedules:*`: bounds on what a tenant may schedule (docs/security.md, "Scheduled functions").</summary>
public sealed class ScheduleLimits
{
    public const string Section = "Butterbase:Functions:Schedules";

    public int MaxPerFunction { get; set; } = 10;
    public int MaxPerApp { get; set; } = 50;
    /// <summary>No schedule may fire more often than this (five-field crons fire at most once a minute anyway).</summary>
    public int MinIntervalSeconds { get; set; } = 60;
    public int MaxBodyBytes { get; set; } = 64 * 1024;
}

public sealed class ScheduleInputValidator : AbstractValidator<ScheduleInput>
{
    public ScheduleInputValidator(IOptions<ScheduleLimits> options)
    {
        var limits = options.Value;
        RuleFor(x => x.TimeZone).Must(tz => tz is null || FunctionSchedules.FindTimeZone(tz) is not null)
            .WithMessage((_, tz) => $"'{tz}' is not an IANA time zone; use a name such as \"UTC\" or \"Europe/Berlin\".").OverridePropertyName("timeZone");
        RuleFor(x => x.Cron).Custom((cron, context) =>
        {
            var zone = FunctionSchedules.FindTimeZone(context.InstanceToValidate.TimeZone ?? "UTC") ?? TimeZoneInfo.Utc;
            if (FunctionSchedules.CronProblem(cron, zone, TimeSpan.FromSeconds(limits.MinIntervalSeconds)) is { } problem)
                context.AddFailure("cron", problem);
        });
        RuleFor(x => x.RunAs).Must(u => u is null || u.Length is > 0 and <= 256 && !u.Any(char.IsControl))
            .WithMessage("runAs is an end user's id (1–256 characters, no control characters), or null for service rights.").OverridePropertyName("runAs");
        RuleFor(x => x.Body).Must(b => b is null || System.Text.Encoding.UTF8.GetByteCount(b.Value.GetRawText()) <= limits.MaxBodyBytes)
            .WithMessage($"The body is over {limits.MaxBodyBytes / 1024} KB.").OverridePropertyName("body");
    }
}
