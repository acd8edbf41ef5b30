using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Toolkits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Catalog;

/// <summary>
/// An app that enabled `github-2` (GitHub's second generated toolkit, now merged into `github`) keeps its toolkit, its own
/// OAuth client and its users' connections when the portal starts with the merged catalog: nothing it stored is lost.
/// </summary>
public sealed class MergedSlugMoveTests
{
    [Fact]
    public async Task What_an_app_stored_under_a_merged_slug_moves_to_the_toolkit_that_absorbed_it()
    {
        await using var portal = new PortalApplication();
        var app = await portal.CreateAppAsync("Acme");
        var other = await portal.CreateAppAsync("Both");
        var catalog = portal.Services.GetRequiredService<ToolkitCatalog>();
        var configs = portal.Services.GetRequiredService<ToolkitConfigs>();
        Assert.Equal("github", catalog.MergedSlugs["github-2"]);
        var github = catalog.Find("github")!;
        var old = github with { Slug = "github-2" };

        // As stored before the merge: the app's own OAuth client under github-2 (its secret bound to that slug), a connection.
        await configs.ConfigureAsync(app.Id, new ToolkitConfigs.Change(old, "GitHub (2)", ["repo"], "oauth2", "own-client", "own-secret"));
        await configs.ConfigureAsync(other.Id, new ToolkitConfigs.Change(old, null, null, null, "old-client", "old-secret"));
        await configs.ConfigureAsync(other.Id, new ToolkitConfigs.Change(github, null, null, null, "new-client", "new-secret"));
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
            db.Connections.Add(new Connection { Id = "cn_moved", AppId = app.Id, UserId = "ada", ToolkitSlug = "github-2", AuthScheme = "oauth2", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }

        var moved = await configs.MoveMergedSlugsAsync(catalog.MergedSlugs);
        Assert.Equal(3, moved);
        var kept = await configs.FindAsync(app.Id, "github");
        Assert.NotNull(kept);
        Assert.True(kept.Enabled);
        Assert.Equal("GitHub (2)", kept.DisplayName);
        Assert.Equal(["repo"], kept.Scopes);
        Assert.Equal("own-client", kept.ClientId);
        Assert.Equal("own-secret", configs.ClientSecretOf(kept)); // encrypted again under the new slug
        Assert.Null(await configs.FindAsync(app.Id, "github-2"));
        // An app that had configured both keeps its github configuration; the old one goes.
        var both = await configs.FindAsync(other.Id, "github");
        Assert.Equal("new-secret", configs.ClientSecretOf(both!));
        Assert.Null(await configs.FindAsync(other.Id, "github-2"));
        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
            Assert.Equal("github", (await db.Connections.SingleAsync(c => c.Id == "cn_moved")).ToolkitSlug);
        }

        Assert.Equal(0, await configs.MoveMergedSlugsAsync(catalog.MergedSlugs)); // idempotent: every instance runs it at start
    }
}
