using Butterbase.Portal.Apps;
using Butterbase.Portal.Components.Shared;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Execution;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace Butterbase.Portal.Functions.Pages;

public sealed partial class FunctionEditorPage
{
    [Inject] public required Butterbase.Portal.Functions.Functions Functions { get; init; }
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required NavigationManager Navigation { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }
    [Inject] public required ILogger<FunctionEditorPage> Logger { get; init; }
    [Inject] public required ExecutionLog Log { get; init; }
    [Inject] public required Microsoft.Extensions.Options.IOptions<LogQuota> Quotas { get; init; }
    [Inject] public required ConnectionStore Connections { get; init; }

    [Parameter] public string? Name { get; set; }
    private bool IsNew => Name is null;
    private FunctionForm? _form;
    private bool _missing, _busy, _running;
    private string? _codeProblem;
    private string? _open;
    private string _testBody = "{\n  \"userId\": \"test-user\",\n  \"to\": \"friend@sandbox.test\"\n}";
    private FunctionRuntime.Outcome? _result;
    private List<FunctionInvocation>? _invocations;
    private readonly HashSet<FunctionForm.EnvVar> _shown = [];

    protected override async Task LoadAsync(AppGrant grant)
    {
        _missing = false;
        _result = null;
        // The README's first function deploys and runs as it stands: a name no function of the app has yet, and a test
        // body naming a user who has the Sandbox connected (the README's test-user when nobody has yet).
        var (connected, _) = await Connections.ListAsync(AppId, new ConnectionStore.Filter(Toolkit: "sandbox", Status: "active"), 1, 0);
        if (connected is [{ UserId: { Length: > 0 } user }, ..])
            _testBody = $"{{\n  \"userId\": {System.Text.Json.JsonSerializer.Serialize(user)},\n  \"to\": \"friend@sandbox.test\"\n}}";
        if (IsNew)
        {
            var taken = (await Functions.ListAsync(AppId, default)).Select(f => f.Name).ToHashSet();
            var name = Enumerable.Range(1, 100).Select(i => i == 1 ? "send-message" : $"send-message-{i}").FirstOrDefault(n => !taken.Contains(n)) ?? "";
            _form = new FunctionForm { Name = name, TimeoutMs = Functions.Limits.DefaultTimeoutMs };
            return;
        }
        var function = await Functions.FindAsync(AppId, Name!, default);
        if (function is null) { _missing = true; _form = new(); return; }
        _form = FunctionForm.From(function); // values are write-only for everyone: names only
        await LoadInvocationsAsync();
    }

    private void Toggle(FunctionForm.EnvVar variable)
    {
        if (!_shown.Remove(variable)) _shown.Add(variable);
    }

    private static string TriggerIcon(string trigger) => trigger switch
    {
        InvocationTrigger.Schedule => Icons.Material.Outlined.Schedule,
        InvocationTrigger.Test => Icons.Material.Outlined.PlayArrow,
        _ => Icons.Material.Outlined.Http,
    };

    private static FunctionsApi.LogLine Split(string line) =>
        line.Split('\t', 2) is [var level, var message] ? new(level, message) : new("log", line);

    private LogTruncation? _truncated;

    private async Task LoadInvocationsAsync()
    {
        if (await AuthorizeAsync(AppRole.Viewer) is not { } grant) { _invocations = []; return; }
        _invocations = (await Functions.InvocationsAsync(grant.App.Id, Name, 50, 0, default)).Items;
        _truncated = await Log.TruncationAsync(grant.App.Id, LogTruncation.Invocations);
    }

    private async Task DeployAsync()
    {
        if (await AuthorizeAsync() is not { } grant) return;
        _busy = true;
        try
        {
            _codeProblem = null;
            // Variables kept as stored get their values here, on the server: they never travel to the browser.
            var existing = IsNew ? null : await Functions.FindAsync(AppId, Name!, default);
            var stored = existing is null ? new Dictionary<string, string>() : Functions.EnvOf(existing);
            var (function, created, problem) = await Functions.DeployCheckedAsync(AppId, _form!.ToDeploy(stored), default);
            if (problem is not null) { _codeProblem = problem; return; }
            await Team.RecordAsync(grant, "function.deployed", $"{function!.Name} v{function.Version}");
            Snackbar.Add(created ? $"Deployed {function.Name}." : $"Deployed {function.Name} v{function.Version}.", Severity.Success);
            if (IsNew) Navigation.NavigateTo($"/apps/{AppId}/functions/{function.Name}");
            else _form = FunctionForm.From(function);
        }
        catch (Exception e)
        {
            Logger.LogError(e, "Deploying a function failed");
            Snackbar.Add("Could not deploy the function. Try again.", Severity.Error);
        }
        finally { _busy = false; }
    }

    private async Task RunAsync()
    {
        var body = _testBody.Trim();
        if (body.Length > 0)
        {
            try { using var _ = System.Text.Json.JsonDocument.Parse(body); }
            catch (System.Text.Json.JsonException) { Snackbar.Add("The body is not valid JSON.", Severity.Error); return; }
        }
        if (await AuthorizeAsync() is null) return;
        _running = true;
        try
        {
            var function = await Functions.FindAsync(AppId, Name!, default);
            if (function is null) { Snackbar.Add("This function was deleted.", Severity.Error); return; }
            var request = new FunctionRuntime.Request(body, "POST", new Dictionary<string, string> { ["content-type"] = "application/json" }, new Dictionary<string, string>());
            var (outcome, _) = await Functions.InvokeAsync(function, request, null, Navigation.BaseUri.TrimEnd('/'), default, InvocationTrigger.Test);
            if (outcome is null) Snackbar.Add($"This app already has {Functions.Limits.MaxConcurrentPerApp} functions running; try again shortly.", Severity.Warning);
            _result = outcome;
            await Log.FlushAsync(); // the invocation is written with the next batch of the log: show it now
            await LoadInvocationsAsync();
        }
        catch (Exception e)
        {
            Logger.LogError(e, "A test run failed in the host");
            Snackbar.Add("Could not run the function. Try again.", Severity.Error);
        }
        finally { _running = false; }
    }

    private async Task DeleteAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete this function?",
            $"POST /fn/{Name} will answer 404 from now on. Its invocation log stays until it ages out.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true || await AuthorizeAsync() is not { } grant) return;
        if (await Functions.DeleteAsync(AppId, Name!, default)) await Team.RecordAsync(grant, "function.deleted", Name!);
        Snackbar.Add($"Deleted {Name}.", Severity.Success);
        Navigation.NavigateTo($"/apps/{AppId}/functions");
    }

    private CodeEditor? _code;

    /// <summary>Monaco's text is read before the form validates (the last keystroke may not have reached us yet).</summary>
    private async Task SubmitAsync(EditContext form)
    {
        if (_code is not null) await _code.SyncAsync();
        if (form.Validate()) await DeployAsync();
    }
}
