using System.Text.Json;

namespace Butterbase.Portal.Api;

/// <summary>`{ items, total, limit, offset }` — limit defaults to 50, at most 200.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int Limit, int Offset);

public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>The limit and offset to use, or the validation details that explain why they cannot be.</summary>
    public static (int Limit, int Offset, List<ApiErrorDetail> Problems) Read(int? limit, int? offset)
    {
        var problems = new List<ApiErrorDetail>();
        if (limit is < 1 or > MaxLimit) problems.Add(new("limit", $"Use a limit from 1 to {MaxLimit}."));
        if (offset is < 0) problems.Add(new("offset", "The offset cannot be negative."));
        return (limit ?? DefaultLimit, offset ?? 0, problems);
    }

    public static Page<T> Of<T>(IReadOnlyList<T> all, int limit, int offset) =>
        new(all.Skip(offset).Take(limit).ToList(), all.Count, limit, offset);
}

/// <summary>Resource rows are snake_case (docs/api.md "Conventions"); action results keep the default camelCase.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Snake = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
}
