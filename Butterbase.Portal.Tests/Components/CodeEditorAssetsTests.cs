using System.Net;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Components;

/// <summary>The function editor's Monaco comes from this host (no CDN), and the security headers let it run.</summary>
public sealed class CodeEditorAssetsTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    [Theory]
    [InlineData("/_content/BlazorMonaco/jsInterop.js")]
    [InlineData("/_content/BlazorMonaco/lib/monaco-editor/min/vs/loader.js")]
    [InlineData("/_content/BlazorMonaco/lib/monaco-editor/min/vs/editor/editor.main.js")]
    [InlineData("/_content/BlazorMonaco/lib/monaco-editor/min/vs/editor/editor.main.css")]
    [InlineData("/_content/BlazorMonaco/lib/monaco-editor/min/vs/base/worker/workerMain.js")] // the language service's web worker
    [InlineData("/_content/BlazorMonaco/lib/monaco-editor/min/vs/basic-languages/typescript/typescript.js")]
    [InlineData("/_content/BlazorMonaco/lib/monaco-editor/min/vs/base/browser/ui/codicons/codicon/codicon.ttf")]
    public async Task Monacos_assets_are_served_by_the_portal_itself(string path)
    {
        using var client = _portal.CreateClient();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100);
    }

    [Fact]
    public async Task The_content_security_policy_keeps_framing_refused_and_does_not_block_monacos_scripts_or_workers()
    {
        using var client = _portal.CreateClient();
        using var response = await client.GetAsync("/_content/BlazorMonaco/lib/monaco-editor/min/vs/loader.js");
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp);
        // Monaco loads its modules with the AMD loader from this origin and starts its language worker from
        // workerMain.js (same origin) or a blob: URL: a script-src/worker-src/default-src added later must allow both
        // (docs/security.md "Portal pages").
        foreach (var directive in csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var name = directive.Split(' ')[0];
            if (name is "script-src" or "worker-src" or "default-src")
            {
                Assert.Contains("'self'", directive);
                if (name != "script-src") Assert.Contains("blob:", directive);
            }
        }
    }
}
