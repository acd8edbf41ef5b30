using Butterbase.Portal.Apps;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Butterbase.Portal.Webhooks.Pages;

/// <summary>
/// An app's webhook endpoints: add and edit (URL checked as you type, event filter, enabled), the signing secret shown on
/// request and rotated, a test event, and the delivery log with replay. Secrets are read from the server only when a
/// developer or owner asks, after <see cref="AppPage.AuthorizeAsync"/> (docs/security.md [31]); viewers never receive one.
/// </summary>
public partial class WebhooksPage : AppPage
{
    [Inject] public required WebhookEndpoints Endpoints { get; init; }
    [Inject] public required AppTeam Team { get; init; }
    [Inject] public required IDialogService Dialogs { get; init; }
    [Inject] public required ISnackbar Snackbar { get; init; }

    private List<WebhookEndpoint>? _endpoints;
    private EndpointForm? _form;
    private string? _urlProblem;
    private string? _newSecret, _newSecretFor;
    private WebhookEndpoint? _selected;
    private List<WebhookAttempt>? _deliveries;
    private string? _open;
    private bool _busy;

    private sealed class EndpointForm
    {
        public string? Id { get; init; }
        public string Url { get; set; } = "";
        public List<string> Events { get; set; } = [];
        public bool Enabled { get; set; } = true;
        public bool Touched { get; set; }
    }

    protected override async Task LoadAsync(AppGrant grant) => _endpoints = await Endpoints.ListAsync(grant.App.Id);

    private void StartAdd() { _form = new EndpointForm(); _urlProblem = null; }

    private void StartEdit(WebhookEndpoint endpoint)
    {
        _form = new EndpointForm { Id = endpoint.Id, Url = endpoint.Url, Events = endpoint.EventList.ToList(), Enabled = endpoint.Enabled };
        _urlProblem = null;
    }

    private async Task SaveAsync()
    {
        if (_form is null) return;
        _form.Touched = true;
        _urlProblem = Endpoints.ProblemWithUrl(_form.Url);
        if (_urlProblem is not null) return;
        if (await AuthorizeAsync() is not { } grant) return;
        _busy = true;
        try
        {
            var events = _form.Events.ToList();
            if (_form.Id is null)
            {
                var (endpoint, secret, problem) = await Endpoints.CreateAsync(grant.App.Id, _form.Url, events, _form.Enabled);
                if (problem is not null) { Snackbar.Add(problem.Message, Severity.Warning); return; }
                await Team.RecordAsync(grant, "webhook.created", endpoint!.Url);
                (_newSecret, _newSecretFor) = (secret, endpoint.Url);
            }
            else
            {
                if (await Endpoints.UpdateAsync(grant.App.Id, _form.Id, _form.Url, events, _form.Enabled) is not { } updated)
                { Snackbar.Add("That endpoint no longer exists.", Severity.Warning); }
                else
                {
                    await Team.RecordAsync(grant, "webhook.updated", updated.Url);
                    Snackbar.Add("Saved.", Severity.Success);
                }
            }
            _form = null;
            _endpoints = await Endpoints.ListAsync(grant.App.Id);
        }
        finally { _busy = false; }
    }

    private async Task RevealAsync(WebhookEndpoint endpoint)
    {
        if (await AuthorizeAsync() is not { } grant) return;
        if (await Endpoints.SecretAsync(grant.App.Id, endpoint.Id) is { } secret) (_newSecret, _newSecretFor) = (secret, endpoint.Url);
    }

    private async Task RotateAsync(WebhookEndpoint endpoint)
    {
        if (await AuthorizeAsync() is null) return;
        var confirmed = await Dialogs.ShowMessageBoxAsync("Rotate the signing secret?",
            "Events are signed with the new secret from now on, and with the old one too for the next 24 hours, so your receiver keeps verifying while you update it.",
            yesText: "Rotate", cancelText: "Cancel");
        if (confirmed != true || await AuthorizeAsync() is not { } grant) return;
        if (await Endpoints.RotateAsync(grant.App.Id, endpoint.Id) is { } secret)
        {
            await Team.RecordAsync(grant, "webhook.secret_rotated", endpoint.Url);
            (_newSecret, _newSecretFor) = (secret, endpoint.Url);
        }
    }

    private async Task DeleteAsync(WebhookEndpoint endpoint)
    {
        if (await AuthorizeAsync() is null) return;
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete this endpoint?", $"{endpoint.Url} will receive no more events; its delivery log goes too.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true || await AuthorizeAsync() is not { } grant) return;
        if (await Endpoints.DeleteAsync(grant.App.Id, endpoint.Id)) await Team.RecordAsync(grant, "webhook.deleted", endpoint.Url);
        if (_selected?.Id == endpoint.Id) _selected = null;
        _endpoints = await Endpoints.ListAsync(grant.App.Id);
    }

    private async Task SendTestAsync(WebhookEndpoint endpoint)
    {
        if (await AuthorizeAsync() is not { } grant) return;
        if (await Endpoints.SendTestAsync(grant.App.Id, endpoint.Id) is null) return;
        Snackbar.Add(endpoint.Enabled ? "Test event queued: it shows under Deliveries in a moment." : "Test event queued, but the endpoint is disabled: enable it to send.", Severity.Info);
        await ShowDeliveriesAsync(endpoint);
    }

    private async Task ShowDeliveriesAsync(WebhookEndpoint endpoint)
    {
        if (await Access.FindAsync(AppId) is not { } grant) return;
        _selected = endpoint;
        _deliveries = null;
        _deliveries = await Endpoints.DeliveriesAsync(grant.App.Id, endpoint.Id, 50, 0);
    }

    private async Task ReplayAsync(WebhookAttempt attempt)
    {
        if (await AuthorizeAsync() is not { } grant) return;
        if (await Endpoints.ReplayAsync(grant.App.Id, attempt.EndpointId, attempt.Id) is not null)
            Snackbar.Add("Sent again with the same webhook-id.", Severity.Info);
        if (_selected is not null) await ShowDeliveriesAsync(_selected);
    }
}
