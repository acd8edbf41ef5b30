using System.Threading.Channels;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Execution;

/// <summary>Where an execution came from, as the executions log and API name it.</summary>
public static class ExecutionSources
{
    public const string Api = "api";
    public const string Mcp = "mcp";
    public const string Function = "function";
    public const string Playground = "playground";
}
