using System.ComponentModel.DataAnnotations;

namespace Butterbase.Portal.Data;

/// <summary>
/// `Butterbase:Cache:*`: how long an instance trusts what it cached. A write invalidates at once on its own instance and
/// within a second on the others (<see cref="CacheInvalidation"/>); these lifetimes only bound the damage of a lost
/// invalidation message. 0 turns a cache off. Checked at start: a negative or absurd value stops the host with its name.
/// </summary>
public sealed class CacheOptions
{
    public const string Section = "Butterbase:Cache";

    [Range(0, 3600)] public double ApiKeySeconds { get; set; } = 30;
    [Range(0, 3600)] public double ToolkitConfigSeconds { get; set; } = 30;
    [Range(0, 3600)] public double ConnectionSeconds { get; set; } = 15;
    [Range(0, 3600)] public double McpServerSeconds { get; set; } = 30;
}
