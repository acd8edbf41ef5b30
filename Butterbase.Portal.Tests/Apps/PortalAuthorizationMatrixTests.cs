using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Apps;

/// <summary>
/// docs/security.md [29] and [31], issue 13 class 1: every routable page under /apps/{id} (and the toolkit dialog opened by
/// URL), rendered by the real host for a signed-in owner, viewer and non-member of app A. The non-member sees "App not
/// found" and nothing of A; the viewer sees A without its secrets and with every control that changes something
/// absent or disabled; the owner (the control group) sees A's data and live controls. The live-circuit half is in
/// <c>Components/AppAuthorizationTests</c> (each change re-checked) and the Playwright flow <c>TenantIsolationFlowTests</c>.
/// </summary>
public sealed partial class PortalAuthorizationMatrixTests(PortalAuthorizationMatrixTests.AppA a) : IClassFixture<PortalAuthorizationMatrixTests.AppA>
{

    /// <summary>Text only app A's pages may show, and to whom.</summary>
    private static readonly string[] Data = ["Acme-of-A", "Gmail-of-A", "alice-of-A", "user-of-A", "fn-of-a", "code-marker-of-A", "key-of-A", "a.example.com", "activity-of-A", "hooks-of-a.example.com"];
    private static readonly string[] Secrets = ["client-secret-of-A", "env-value-of-A", "access-token-of-A", WebhookSecretOfA[6..]];
    /// <summary>App A's webhook signing secret: shown only when a developer or owner asks for it on the live circuit.</summary>
    private const string WebhookSecretOfA = "whsec_c2VjcmV0LW9mLUEtd2ViaG9vay1zaWduaW5nLWtleQ==";
    /// <summary>Shown only inside the toolkit settings dialog, which opens on the live circuit (see the bUnit and browser tests).</summary>
    private static readonly string[] DialogOnly = ["client-id-of-A"];

    /// <summary>Controls that change something; a viewer may not have one live.</summary>
    private static readonly string[] Changes =
    [
        "edit-toolkit", "toolkit-enabled", "connect-test-user", "enable-toolkit", "enable-sandbox", "create-key", "revoke-key", "disconnect",
        "save-settings", "pg-run", "enable-for-app", "create-invite", "remove-member", "revoke-invite", "deploy-function", "run-function", "delete-function",
        "add-endpoint", "send-test", "endpoint-menu",
    ];

    private static readonly string[] PageList =
    [
        "", "/toolkits", "/toolkits?edit=gmail", "/connections", "/playground", "/executions", "/functions", "/functions/fn-of-a", "/new-function",
        "/catalog", "/catalog/gmail", "/catalog/slack", "/api-keys", "/settings", "/members", "/activity", "/webhooks",
    ];

    public static readonly TheoryData<string> Pages = new(PageList);

    private async Task<string> RenderAsync(string who, string page)
    {
        var response = await a.As[who].GetAsync($"/apps/{a.AppId}{page}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The page's own markup, without Blazor's protected component descriptors (opaque, but long base64 that could match by chance).</summary>
    private static string Body(string html) => Regex.Replace(html, "<!--Blazor:.*?-->", "", RegexOptions.Singleline);

    private static bool Live(AngleSharp.Dom.IElement e) =>
        !e.HasAttribute("disabled") && !e.ClassList.Contains("mud-disabled") && e.QuerySelector("input[disabled], button[disabled]") is null;

    [Theory, MemberData(nameof(Pages))]
    public async Task A_non_member_sees_app_not_found_and_nothing_of_the_app(string page)
    {
        var html = Body(await RenderAsync("stranger", page));
        Assert.Contains("App not found", html);
        foreach (var marker in Data.Concat(Secrets).Concat(DialogOnly).Where(m => !page.Contains(m)))
            Assert.DoesNotContain(marker, html);
        var document = new HtmlParser().ParseDocument(html);
        Assert.Empty(Changes.SelectMany(c => document.QuerySelectorAll($"[data-testid={c}]")));
    }

    [Theory, MemberData(nameof(Pages))]
    public async Task A_viewer_sees_the_app_without_secrets_and_with_no_live_control_that_changes_it(string page)
    {
        var html = Body(await RenderAsync("viewer", page));
        Assert.DoesNotContain("App not found", html);
        foreach (var secret in Secrets) Assert.DoesNotContain(secret, html);
        var document = new HtmlParser().ParseDocument(html);
        foreach (var control in Changes)
            Assert.All(document.QuerySelectorAll($"[data-testid={control}]"), e => Assert.False(Live(e), $"{control} is live for a viewer on '{page}'"));
    }

    [Fact]
    public async Task The_owner_sees_the_apps_data_and_live_controls_on_the_same_pages()
    {
        var seen = "";
        var live = new HashSet<string>();
        foreach (var page in PageList)
        {
            var html = Body(await RenderAsync("owner", page));
            Assert.DoesNotContain("App not found", html);
            // Owners too: secrets are write-only, the function editor's variable values included.
            foreach (var secret in Secrets) Assert.DoesNotContain(secret, html);
            seen += html;
            var document = new HtmlParser().ParseDocument(html);
            foreach (var control in Changes)
                if (document.QuerySelectorAll($"[data-testid={control}]").Any(Live)) live.Add(control);
        }
        foreach (var marker in Data) Assert.Contains(marker, seen);
        // Each control the viewer test expects dead really exists, live, for an owner (except the empty-state ones: A has data).
        Assert.Equal(Changes.Except(["enable-toolkit", "enable-sandbox", "revoke-invite"]).Order(), live.Except(["enable-toolkit"]).Order());
    }

    /// <summary>One portal for the whole matrix: owner, viewer and stranger signed up through the real form; app A seeded with one of everything.</summary>
    public sealed partial class AppA : IAsyncLifetime
    {
        private readonly PortalApplication _portal = new PortalApplication(kestrel: false).With("Butterbase:Accounts:SignUp", "open");
        public Dictionary<string, HttpClient> As { get; } = new();
        public string AppId { get; private set; } = "";

        [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
        private static partial Regex AntiforgeryField();

        public async Task InitializeAsync()
        {
            foreach (var who in new[] { "owner", "viewer", "stranger" })
            {
                var client = _portal.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = true });
                var page = await client.GetStringAsync("/account/signup");
                var response = await client.PostAsync("/account/signup", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["_handler"] = "signup", ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value,
                    ["Input.Email"] = $"{who}@example.com", ["Input.Password"] = "correct horse battery", ["Input.ConfirmPassword"] = "correct horse battery",
                }));
                Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                As[who] = client;
            }

            var services = _portal.Services;
            var dbFactory = services.GetRequiredService<IDbContextFactory<PortalDb>>();
            string Id(PortalDb db, string email) => db.Developers.Single(d => d.Email == email).Id;
            await using var db = await dbFactory.CreateDbContextAsync();
            var ownerId = Id(db, "owner@example.com");
            var app = await services.GetRequiredService<AppRegistry>().CreateAsync("Acme-of-A", ownerId, ["https://a.example.com/back"]);
            AppId = app.Id;
            db.AppMembers.Add(new AppMember { AppId = app.Id, DeveloperId = Id(db, "viewer@example.com"), Role = "viewer", CreatedAt = DateTime.UtcNow });
            var catalog = services.GetRequiredService<ToolkitCatalog>();
            await services.GetRequiredService<ToolkitConfigs>().ConfigureAsync(app.Id, new(catalog.Find("gmail")!, "Gmail-of-A", null, null, "client-id-of-A", "client-secret-of-A"));
            var connection = new Connection
            {
                Id = Ids.New("cn_", 20), AppId = app.Id, UserId = "alice", ToolkitSlug = "gmail", Status = "active", AuthScheme = "oauth2",
                AccountLabel = "alice-of-A@example.com", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            };
            connection.Credentials = services.GetRequiredService<CredentialProtector>().Protect(app.Id, connection.Id, new StoredCredentials { AccessToken = "access-token-of-A" });
            db.Connections.Add(connection);
            db.Executions.Add(new ExecutionRecord { Id = Ids.New("ex_"), AppId = app.Id, UserId = "user-of-A", ToolName = "GMAIL_SEND_EMAIL", ToolkitSlug = "gmail", Successful = true, CreatedAt = DateTime.UtcNow });
            var hook = new Butterbase.Portal.Webhooks.WebhookEndpoint
            {
                Id = Ids.New("wh_", 20), AppId = app.Id, Url = "https://hooks-of-a.example.com/in", Secret = "", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            };
            hook.Secret = services.GetRequiredService<Butterbase.Portal.Webhooks.WebhookSecrets>().Protect(app.Id, hook.Id, WebhookSecretOfA);
            db.WebhookEndpoints.Add(hook);
            await db.SaveChangesAsync();
            await services.GetRequiredService<Butterbase.Portal.Functions.Functions>().DeployCheckedAsync(app.Id,
                new("fn-of-a", "// code-marker-of-A\nexport default async function handler(ctx) { return { ok: true }; }", new() { ["SECRET"] = "env-value-of-A" }, null), default);
            await services.GetRequiredService<ApiKeys>().CreateAsync(app.Id, "key-of-A");
            await services.GetRequiredService<AppTeam>().RecordAsync(new AppGrant(app, AppRole.Owner, ownerId), "settings.saved", "activity-of-A");
        }

        public async Task DisposeAsync()
        {
            foreach (var client in As.Values) client.Dispose();
            await _portal.DisposeAsync();
        }


    }
}
