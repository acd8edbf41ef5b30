using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Mcp.Pages;

public sealed partial class McpServersPage
{
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required McpServers Servers { get; init; }
    [Inject] public required ToolkitConfigs Configs { get; init; }
    [Inject] public required ToolkitCatalog Catalog { get; init; }
    [Inject] public required Butterbase.Portal.Outbound.PublicOrigin Origin { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }

    private List<McpServerConfig>? _servers;
    private List<Toolkit> _enabled = [];
    private McpServerConfig? _selected;

    protected override async Task LoadAsync(AppGrant grant)
    {
        _servers = await Servers.ListAsync(grant.App.Id);
        _enabled = (await Configs.EnabledSlugsAsync(grant.App.Id)).Select(Catalog.Find).OfType<Toolkit>().OrderBy(t => t.Name).ToList();
        _selected = _servers.FirstOrDefault(s => s.Id == _selected?.Id) ?? (_servers.Count == 1 ? _servers[0] : null);
    }

    private int ToolCount(McpServerConfig server) => McpTools.CountAllowed(Catalog, server, _enabled.Select(t => t.Slug).ToHashSet());

    private async Task EditAsync(McpServerConfig? existing)
    {
        if (await AuthorizeAsync() is null) return;
        var parameters = new DialogParameters<McpServerDialog>
        {
            { d => d.AppId, AppId },
            { d => d.Existing, existing },
            { d => d.EnabledToolkits, _enabled },
            { d => d.SuggestedName, new[] { "assistant", "agent", "tools" }.FirstOrDefault(n => _servers?.All(s => s.Name != n) != false) ?? "" },
            { d => d.Save, change => SaveAsync(existing, change) },
        };
        var dialog = await Dialogs.ShowAsync<McpServerDialog>(existing is null ? "New MCP server" : $"Edit {existing.Name}", parameters,
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false } && Grant is { } grant) await LoadAsync(grant);
    }

    private async Task<IReadOnlyList<Api.ApiErrorDetail>> SaveAsync(McpServerConfig? existing, McpServers.Change change)
    {
        // Checked again: the dialog may have stayed open while the caller's membership changed.
        if (await AuthorizeAsync() is not { } grant) return [new("name", "You can no longer change this app.")];
        var (saved, problems, conflict) = existing is null
            ? await Servers.CreateAsync(grant.App.Id, change)
            : await Servers.UpdateAsync(grant.App.Id, existing.Id, change);
        if (problems.Count > 0) return problems;
        if (conflict is not null) return [new("name", conflict.Message)];
        if (saved is null) return [new("name", "That server was deleted meanwhile.")];
        await Team.RecordAsync(grant, existing is null ? "mcp_server.created" : "mcp_server.changed",
            $"{saved.Name} ({saved.Mode}{(saved.ReadOnly ? ", read-only" : "")}: {string.Join(", ", saved.Toolkits)})");
        Snackbar.Add(existing is null ? $"Created {saved.Name}." : $"Saved {saved.Name}.", Severity.Success);
        _selected = saved;
        return [];
    }

    private async Task DeleteAsync(McpServerConfig server)
    {
        if (await AuthorizeAsync() is null) return;
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete {server.Name}?",
            "Agents configured with this server will be refused from now on.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        if (await AuthorizeAsync() is not { } grant || server.AppId != grant.App.Id) return;
        if (await Servers.DeleteAsync(grant.App.Id, server.Id))
        {
            await Team.RecordAsync(grant, "mcp_server.deleted", server.Name);
            Snackbar.Add($"Deleted {server.Name}.", Severity.Success);
        }
        if (_selected?.Id == server.Id) _selected = null;
        await LoadAsync(grant);
    }

    /// <summary>Ready-to-paste configurations of common agents for <paramref name="url"/>.</summary>
    private static IEnumerable<(string Client, string Snippet)> Snippets(string url, string name)
    {
        var key = "butterbase-" + name;
        yield return ("Cursor", $$"""
            // ~/.cursor/mcp.json
            {
              "mcpServers": {
                "{{key}}": {
                  "url": "{{url}}",
                  "headers": { "Authorization": "Bearer ${env:BUTTERBASE_USER_TOKEN}" }
                }
              }
            }
            """);
        yield return ("VS Code", $$"""
            // .vscode/mcp.json
            {
              "servers": {
                "{{key}}": {
                  "type": "http",
                  "url": "{{url}}",
                  "headers": { "Authorization": "Bearer ${env:BUTTERBASE_USER_TOKEN}" }
                }
              }
            }
            """);
        yield return ("Claude Code", $"""
            claude mcp add --transport http {key} {url} \
              --header "Authorization: Bearer $BUTTERBASE_USER_TOKEN"
            """);
        yield return ("OpenAI Agents SDK", $$"""
            import os
            from agents import Agent, Runner
            from agents.mcp import MCPServerStreamableHttp

            async with MCPServerStreamableHttp(params={
                "url": "{{url}}",
                "headers": {"Authorization": f"Bearer {os.environ['BUTTERBASE_API_KEY']}", "Butterbase-User-Id": "user-123"},
            }) as server:
                agent = Agent(name="Assistant", mcp_servers=[server])
                print((await Runner.run(agent, "What is on my calendar today?")).final_output)
            """);
        yield return ("TypeScript", $$"""
            import { Client } from '@modelcontextprotocol/sdk/client/index.js';
            import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

            const client = new Client({ name: 'my-agent', version: '1.0.0' });
            await client.connect(new StreamableHTTPClientTransport(new URL('{{url}}'), {
              requestInit: { headers: { Authorization: `Bearer ${process.env.BUTTERBASE_API_KEY}`, 'Butterbase-User-Id': 'user-123' } },
            }));
            console.log((await client.listTools()).tools.map((t) => t.name));
            """);
    }
}
