using System.Text.RegularExpressions;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Mcp;

/// <summary>
/// An app's MCP servers: checked against the catalog on every write, read through a short cache on the MCP endpoint's
/// path (every MCP request names its server), invalidated on every instance when one changes.
/// </summary>
public sealed partial class McpServers(IDbContextFactory<PortalDb> dbFactory, ToolkitCatalog catalog, TimeProvider clock,
    IOptions<CacheOptions> cache, CacheInvalidation? invalidation = null)
{
    public const int MaxNameLength = 40;
    public const int MaxToolkits = 50;
    public const int MaxTools = 1000;
    public const int MaxServersPerApp = 50;
    /// <summary>Many agents cap the tools they load (Cursor at 40): the portal warns above this.</summary>
    public const int ClientToolWarning = 40;

    private readonly LocalCache<McpServerConfig?> _byName = new(clock,
        TimeSpan.FromSeconds(cache.Value.McpServerSeconds), invalidation, "mcp-server");

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")]
    private static partial Regex NamePattern();

    /// <summary>What a create or an update asks for; null fields are left as they are (an update) or defaulted (a create).</summary>
    public sealed record Change(string? Name, string? Mode, IReadOnlyList<string>? Toolkits, IReadOnlyList<string>? Tools, bool? ReadOnly);

    public async Task<List<McpServerConfig>> ListAsync(string appId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.McpServers.AsNoTracking().Where(s => s.AppId == appId).OrderBy(s => s.Name).ToListAsync(ct);
    }

    /// <summary>By id (`mcp_…`) or name.</summary>
    public async Task<McpServerConfig?> GetAsync(string appId, string idOrName, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.McpServers.AsNoTracking().FirstOrDefaultAsync(s => s.AppId == appId && (s.Id == idOrName || s.Name == idOrName), ct);
    }

    /// <summary>The server an MCP request names, from the cache when it can.</summary>
    public async Task<McpServerConfig?> FindAsync(string appId, string name, CancellationToken ct = default)
    {
        var key = appId + "\n" + name;
        if (_byName.TryGet(key, out var cached)) return cached;
        var version = _byName.Version(appId);
        McpServerConfig? found;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            found = await db.McpServers.AsNoTracking().FirstOrDefaultAsync(s => s.AppId == appId && s.Name == name, ct);
        // Only servers that exist are kept: names sprayed at the endpoint must not crowd out other apps' entries.
        if (found is not null) _byName.Set(key, appId, version, found);
        return found;
    }

    public async Task<(McpServerConfig? Server, IReadOnlyList<ApiErrorDetail> Problems, ApiError? Conflict)> CreateAsync(
        string appId, Change change, CancellationToken ct = default)
    {
        var row = new McpServerConfig
        {
            Id = Ids.New("mcp_", 20), AppId = appId, Name = change.Name?.Trim() ?? "",
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        var problems = Apply(row, change, creating: true);
        if (problems.Count > 0) return (null, problems, null);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.McpServers.CountAsync(s => s.AppId == appId, ct) >= MaxServersPerApp)
            return (null, [], new ApiError("mcp_server_limit", $"An app has at most {MaxServersPerApp} MCP servers: delete one first."));
        if (await db.McpServers.AnyAsync(s => s.AppId == appId && s.Name == row.Name, ct))
            return (null, [], NameTaken(row.Name));
        row.UpdatedAt = row.CreatedAt;
        db.McpServers.Add(row);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return (null, [], NameTaken(row.Name)); } // a concurrent create of the same name
        _byName.Invalidate(appId);
        return (row, [], null);
    }

    public async Task<(McpServerConfig? Server, IReadOnlyList<ApiErrorDetail> Problems, ApiError? Conflict)> UpdateAsync(
        string appId, string idOrName, Change change, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.McpServers.FirstOrDefaultAsync(s => s.AppId == appId && (s.Id == idOrName || s.Name == idOrName), ct);
        if (row is null) return (null, [], null);
        var problems = Apply(row, change, creating: false);
        if (problems.Count > 0) return (null, problems, null);
        if (change.Name is not null && await db.McpServers.AnyAsync(s => s.AppId == appId && s.Name == row.Name && s.Id != row.Id, ct))
            return (null, [], NameTaken(row.Name));
        row.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return (null, [], NameTaken(row.Name)); }
        _byName.Invalidate(appId);
        return (row, [], null);
    }

    public async Task<bool> DeleteAsync(string appId, string idOrName, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var deleted = await db.McpServers.Where(s => s.AppId == appId && (s.Id == idOrName || s.Name == idOrName)).ExecuteDeleteAsync(ct);
        _byName.Invalidate(appId);
        return deleted > 0;
    }

    private static ApiError NameTaken(string name) =>
        new("mcp_server_exists", $"This app already has an MCP server named '{name}': choose another name or edit that one.");

    /// <summary>Applies <paramref name="change"/> to <paramref name="row"/>; the problems, field by field (nothing applied is kept then).</summary>
    private List<ApiErrorDetail> Apply(McpServerConfig row, Change change, bool creating)
    {
        var problems = new List<ApiErrorDetail>();
        var name = change.Name?.Trim() ?? row.Name;
        if (creating || change.Name is not null)
        {
            if (name.Length == 0) problems.Add(new("name", "Name the server, e.g. \"support-agent\" (it becomes part of its URL)."));
            else if (name.Length > MaxNameLength || !NamePattern().IsMatch(name))
                problems.Add(new("name", $"Use lower-case letters, digits and dashes, at most {MaxNameLength} characters, starting and ending with a letter or digit."));
        }
        var mode = change.Mode ?? row.Mode;
        if (mode is not (McpModes.Direct or McpModes.Router)) problems.Add(new("mode", "mode is \"direct\" (the tools themselves) or \"router\" (search and execute meta tools)."));

        var toolkits = change.Toolkits?.Select(t => t.Trim()).ToList() ?? row.Toolkits;
        if (toolkits.Count == 0) problems.Add(new("toolkits", "List at least one toolkit, e.g. [\"gmail\"]."));
        if (toolkits.Count > MaxToolkits) problems.Add(new("toolkits", $"At most {MaxToolkits} toolkits."));
        var known = new List<Toolkit>();
        for (var i = 0; i < toolkits.Count && i < MaxToolkits; i++)
        {
            if (catalog.Find(toolkits[i]) is { } t) known.Add(t);
            else problems.Add(new($"toolkits[{i}]", $"There is no toolkit '{Clip(toolkits[i])}'. Search the catalog with GET /available."));
        }

        var tools = change.Tools is null ? row.Tools : change.Tools.Count == 0 ? null : change.Tools.Select(t => t.Trim()).ToList();
        if (tools?.Count > MaxTools) problems.Add(new("tools", $"At most {MaxTools} tools; leave tools out to allow every tool of the toolkits."));
        else if (tools is not null)
        {
            var slugs = known.Select(t => t.Slug).ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < tools.Count; i++)
            {
                var owner = catalog.FindByTool(tools[i]);
                if (owner is null) problems.Add(new($"tools[{i}]", $"There is no tool '{Clip(tools[i])}'. List tools with GET /tools?toolkit=…."));
                else if (!slugs.Contains(owner.Slug)) problems.Add(new($"tools[{i}]", $"{tools[i]} belongs to {owner.Slug}, which is not in toolkits."));
            }
        }
        if (problems.Count == 0 && mode == McpModes.Direct)
        {
            var server = new McpServerConfig { Id = "", AppId = row.AppId, Name = name, Toolkits = known.Select(t => t.Slug).ToList(), Tools = tools, ReadOnly = change.ReadOnly ?? row.ReadOnly };
            var count = McpTools.CountAllowed(catalog, server);
            if (count > MaxTools)
                problems.Add(new("mode", $"A direct server lists at most {MaxTools} tools and this one would list {count}: use router mode, or fewer toolkits or tools."));
        }
        if (problems.Count > 0) return problems;
        row.Name = name;
        row.Mode = mode;
        row.Toolkits = known.Select(t => t.Slug).Distinct().ToList();
        row.Tools = tools?.Distinct().ToList();
        row.ReadOnly = change.ReadOnly ?? row.ReadOnly;
        return problems;
    }

    private static string Clip(string s) => s.Length > 64 ? s[..64] + "…" : s;
}
