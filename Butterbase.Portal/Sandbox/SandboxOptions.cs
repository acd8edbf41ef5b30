using System.ComponentModel.DataAnnotations;

namespace Butterbase.Portal.Sandbox;

/// <summary>`Butterbase:Sandbox`: the built-in Sandbox provider (docs/architecture.md "The Sandbox").</summary>
public sealed class SandboxOptions
{
    public const string Section = "Butterbase:Sandbox";

    /// <summary>Registers and maps the Sandbox; read before the container exists (nothing is registered when off).</summary>
    public bool Enabled { get; set; }

    /// <summary>Access-token lifetime; short values exercise refresh.</summary>
    [Range(1, 31_536_000, ErrorMessage = "Butterbase:Sandbox:AccessTokenLifetimeSeconds must be between 1 and 31536000 seconds.")]
    public int AccessTokenLifetimeSeconds { get; set; } = 3600;
}
