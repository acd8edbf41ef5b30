using Bunit;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Functions;
using Butterbase.Portal.Functions.Pages;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Butterbase.Portal.Tests.Components;

public sealed class FunctionsPageTests : PortalComponentContext
{
    private App _app = default!;

    public FunctionsPageTests()
    {
        Services.AddExecution();
        Services.AddSingleton<TokenRefresher>();
        AddFunctions();
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Service<ExecutionLog>().StartAsync(default); // invocations are written by the log's background writer
        _app = await Service<AppRegistry>().CreateAsync("Acme", DeveloperId);
    }

    private Butterbase.Portal.Functions.Functions Functions => Service<Butterbase.Portal.Functions.Functions>();

    /// <summary>A run or deploy starts a Deno process (the pool starts at first use): more than bUnit's default second on busy cores.</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public void With_no_functions_it_offers_to_write_one()
    {
        var page = Render<FunctionsPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Contains("No functions yet", page.Find("[data-testid=empty-state]").TextContent));
        Assert.EndsWith($"/apps/{_app.Id}/new-function", page.Find("[data-testid=new-function]").GetAttribute("href"));
    }

    [Fact]
    public async Task A_new_function_starts_with_a_free_name_so_the_template_deploys_as_it_stands()
    {
        var page = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForAssertion(() => Assert.Equal("send-message", page.Find("[data-testid=function-name-input]").GetAttribute("value")));
        page.Find("#function-form").Submit();
        page.WaitForAssertion(() => Assert.EndsWith($"/apps/{_app.Id}/functions/send-message", Services.GetRequiredService<NavigationManager>().Uri), RunTimeout);

        // A second one never overwrites the first: the next free name.
        var next = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _app.Id));
        next.WaitForAssertion(() => Assert.Equal("send-message-2", next.Find("[data-testid=function-name-input]").GetAttribute("value")));
        Assert.Single(await Functions.ListAsync(_app.Id, default));
    }

    [Fact]
    public async Task The_editor_shows_the_apis_rules_inline_and_deploys_with_encrypted_variables()
    {
        Render<MudPopoverProvider>();
        var page = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _app.Id));
        var code = page.WaitForElement("[data-testid=function-code]");
        Assert.Contains("export default async function handler(ctx)", code.GetAttribute("value") ?? code.TextContent); // starts from a runnable example

        page.Find("[data-testid=function-name-input]").Input("Not A Name");
        page.Find("[data-testid=function-code]").Change("export function handler(ctx) {}");
        page.Find("#function-form").Submit();
        page.WaitForAssertion(() => Assert.Contains("lowercase letters", page.Markup), RunTimeout);
        // The code is checked by Deno's parser when the form is otherwise valid: the problem shows on the code field.
        page.Find("[data-testid=function-name-input]").Input("welcome");
        page.Find("#function-form").Submit();
        page.WaitForAssertion(() => Assert.Contains("Export the handler as the module", page.Markup), RunTimeout);
        page.Find("[data-testid=function-code]").Change("export default (ctx: { env: Record<string, string> }) => { const x: number = ; }");
        page.Find("#function-form").Submit();
        page.WaitForAssertion(() => Assert.Contains("(line 1, column", page.Markup), RunTimeout);
        Assert.Empty(await Functions.ListAsync(_app.Id, default));

        page.Find("[data-testid=function-code]").Change("export default (ctx) => ({ region: ctx.env.REGION })");
        page.Find("[data-testid=add-env-var]").Click();
        page.WaitForElement("[data-testid=env-var-key]", RunTimeout).Change("REGION"); // the row renders after the click is handled
        page.Find("[data-testid=env-var-value]").Change("eu-west-1");
        Assert.Equal("password", page.Find("[data-testid=env-var-value]").GetAttribute("type")); // masked while typed
        page.Find("#function-form").Submit();

        page.WaitForAssertion(() => Assert.EndsWith($"/apps/{_app.Id}/functions/welcome", Services.GetRequiredService<NavigationManager>().Uri), RunTimeout);
        var saved = Assert.Single(await Functions.ListAsync(_app.Id, default));
        Assert.Equal("REGION", saved.EnvVarNames);
        Assert.DoesNotContain("eu-west-1", saved.EnvVarsProtected);
        Assert.Equal("eu-west-1", Functions.EnvOf(saved)["REGION"]);
    }

    [Fact]
    public async Task With_monaco_loaded_the_code_is_a_typescript_editor_with_line_numbers_in_the_systems_theme_and_deploys_what_it_holds()
    {
        JSInterop.Setup<string?>("butterbase.loadMonaco").SetResult("vs-dark"); // the browser prefers dark
        const string typed = "export default (ctx) => ({ typed: 'in monaco' })";
        JSInterop.Setup<string>("blazorMonaco.editor.getValue", _ => true).SetResult(typed);
        var page = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=function-code-monaco]");
        page.WaitForAssertion(() => Assert.NotEmpty(JSInterop.Invocations["blazorMonaco.editor.create"]));
        // BlazorMonaco hands Monaco its options as JSON: what the browser's editor is created with.
        var options = Assert.IsType<System.Text.Json.JsonElement>(JSInterop.Invocations["blazorMonaco.editor.create"].Last().Arguments[1]);
        string? Option(string name) => options.TryGetProperty(name, out var v) ? v.GetString() : null;
        Assert.Equal("typescript", Option("language"));
        Assert.Equal("on", Option("lineNumbers"));
        Assert.Equal("vs-dark", Option("theme"));
        Assert.Equal("on", Option("accessibilitySupport")); // screen readers get Monaco's accessible mode
        Assert.Contains("Code", Option("ariaLabel"));
        Assert.Contains("SANDBOX_SEND_MESSAGE", Option("value")); // the runnable template, as in the text area
        Assert.Empty(page.FindAll("textarea[data-testid=function-code]")); // one editor, not two

        // Deploy reads the editor's text first: what was typed into Monaco is what runs.
        page.Find("#function-form").Submit();
        page.WaitForAssertion(() => Assert.EndsWith($"/apps/{_app.Id}/functions/send-message", Services.GetRequiredService<NavigationManager>().Uri), RunTimeout);
        Assert.Equal(typed, (await Functions.FindAsync(_app.Id, "send-message", default))!.Code);
    }

    [Fact]
    public async Task Plain_text_switches_to_a_labelled_text_area_holding_the_editors_text_and_deploys_what_is_typed_there()
    {
        JSInterop.Setup<string?>("butterbase.loadMonaco").SetResult("vs");
        JSInterop.Setup<string>("blazorMonaco.editor.getValue", _ => true).SetResult("export default () => ({ from: 'monaco' })");
        var page = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _app.Id));
        page.WaitForElement("[data-testid=function-code-monaco]");
        page.Find("input[data-testid=function-code-plain], [data-testid=function-code-plain] input").Change(true);

        var area = page.WaitForElement("textarea[data-testid=function-code]");
        Assert.Contains("from: 'monaco'", area.GetAttribute("value") ?? area.TextContent); // nothing typed is lost
        var id = area.GetAttribute("id");
        Assert.Contains("Code", page.Find($"label[for='{id}']").TextContent); // a labelled field for screen readers and voice control
        Assert.Empty(page.FindAll("[data-testid=function-code-monaco]"));

        page.Find("textarea[data-testid=function-code]").Change("export default () => ({ from: 'the text area' })");
        page.Find("#function-form").Submit();
        page.WaitForAssertion(() => Assert.EndsWith($"/apps/{_app.Id}/functions/send-message", Services.GetRequiredService<NavigationManager>().Uri), RunTimeout);
        Assert.Contains("the text area", (await Functions.FindAsync(_app.Id, "send-message", default))!.Code);
    }

    [Fact]
    public async Task Env_values_are_write_only_the_editor_shows_names_and_keeps_a_value_left_empty()
    {
        await Functions.DeployCheckedAsync(_app.Id, new FunctionDeploy("keep", "export default (ctx) => ctx.env", new() { ["API_TOKEN"] = "s3cr3t-value", ["REGION"] = "eu" }, null), default);
        Render<MudPopoverProvider>();
        var page = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Name, "keep"));
        page.WaitForElement("[data-testid=env-var-row]");
        Assert.DoesNotContain("s3cr3t-value", page.Markup); // never rendered, so never sent to the browser
        Assert.Equal(2, page.FindAll("[data-testid=env-var-row]").Count);
        Assert.Equal(2, page.FindAll("[data-testid=env-var-stored]").Count); // the stored ones say they are stored

        page.FindAll("[data-testid=env-var-key]")[0].Change("SERVICE_TOKEN"); // rename API_TOKEN, its value left as stored
        page.FindAll("[data-testid=env-var-value]")[1].Change("us"); // replace REGION
        page.Find("#function-form").Submit();
        page.WaitForAssertion(() => Assert.Equal(2, Functions.FindAsync(_app.Id, "keep", default).Result!.Version), RunTimeout);
        var saved = (await Functions.FindAsync(_app.Id, "keep", default))!;
        Assert.Equal(2, saved.Version);
        Assert.Equal("s3cr3t-value", Functions.EnvOf(saved)["SERVICE_TOKEN"]);
        Assert.False(Functions.EnvOf(saved).ContainsKey("API_TOKEN"));
        // The deploy is in the app's audit trail (it changes code that runs with the app's service rights), values not.
        var activity = await Service<AppTeam>().ActivityAsync(_app.Id, 10);
        Assert.Contains(activity, a => a.Action == "function.deployed" && a.Target == "keep v2");
        Assert.DoesNotContain(activity, a => a.Target.Contains("s3cr3t-value"));
        Assert.Equal("us", Functions.EnvOf(saved)["REGION"]);
        Assert.DoesNotContain("s3cr3t-value", page.Markup);
    }

    [Fact]
    public async Task A_test_run_shows_the_response_and_the_console_output_in_the_invocation_log()
    {
        await Functions.DeployCheckedAsync(_app.Id, new FunctionDeploy("greet", "export default (ctx) => { console.warn('greeting', ctx.body.name); return { hello: ctx.body.name }; }", null, null), default);
        var page = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Name, "greet"));
        page.WaitForAssertion(() => Assert.Contains("Not run yet", page.Markup));
        page.Find("[data-testid=test-body]").Change("{\"name\":\"Ada\"}");
        page.Find("[data-testid=run-function]").Click();

        page.WaitForAssertion(() => Assert.Contains("\"hello\": \"Ada\"", page.Find("[data-testid=run-response]").TextContent), RunTimeout);
        Assert.Contains("HTTP 200", page.Find("[data-testid=run-status]").TextContent);
        Assert.Contains("greeting Ada", page.Find("[data-testid=invocation-logs]").TextContent);
        page.WaitForElement("[data-testid=invocations-table] tbody tr").Click(); // the log row is written by the batch writer, then shown
        page.WaitForAssertion(() => Assert.Contains("greeting Ada", page.Find("[data-testid=invocation-detail]").TextContent));
        Assert.Contains("API key", page.Find("[data-testid=invocations-table]").TextContent);

        var list = Render<FunctionsPage>(p => p.Add(x => x.AppId, _app.Id));
        list.WaitForAssertion(() => Assert.Contains("ok", list.Find("[data-testid=functions-table] [data-testid=invocation-outcome]").TextContent));
    }

    [Fact]
    public async Task A_failed_run_shows_its_error()
    {
        await Functions.DeployCheckedAsync(_app.Id, new FunctionDeploy("broken", "export default () => { throw new Error('bad input'); }", null, null), default);
        var page = Render<FunctionEditorPage>(p => p.Add(x => x.AppId, _app.Id).Add(x => x.Name, "broken"));
        page.WaitForElement("[data-testid=run-function]").Click();
        page.WaitForAssertion(() => Assert.Contains("Error: bad input", page.Find("[data-testid=run-error]").TextContent), RunTimeout);
        Assert.Contains("HTTP 500", page.Find("[data-testid=run-status]").TextContent);
    }
}
