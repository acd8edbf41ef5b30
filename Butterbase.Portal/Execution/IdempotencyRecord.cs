using System.Security.Claims;
using System.Text.Json;
using Butterbase.Portal.Api;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Execution;

public sealed class IdempotencyRecord
{
    public long Id { get; init; }
    public required string AppId { get; init; }
    public required string UserId { get; init; }
    public required string ToolName { get; init; }
    /// <summary>SHA-256 of the caller's key.</summary>
    public required string KeyHash { get; init; }
    /// <summary>The first answer; null while the request that reserved the key is still running.</summary>
    public string? Result { get; set; }
    public DateTime CreatedAt { get; init; }

    internal static void Configure(Microsoft.EntityFrameworkCore.ModelBuilder model) => model.Entity<IdempotencyRecord>(e =>
    {
        e.HasKey(x => x.Id);
        e.HasIndex(x => new { x.AppId, x.UserId, x.ToolName, x.KeyHash }).IsUnique();
        e.HasIndex(x => x.CreatedAt);
    });
}
