using System.Text.RegularExpressions;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>The hosted connect page's logic: what to ask for, checking it, and storing the connection.</summary>
public sealed partial class HostedConnect(IDbContextFactory<PortalDb> dbFactory, ToolkitCatalog catalog, ConnectFlow flow, ConnectionLifecycle lifecycle, TimeProvider clock,
    OAuthProviders providers)
{
    /// <param name="HostLabel">The field is the first label of a host (`{subdomain}.zendesk.com`): one DNS label only.</param>
    public sealed record Field(string Name, string Label, bool Secret, bool Required, string? Hint = null, bool HostLabel = false);

    public sealed record Prompt(ConnectionRequest Request, Apps.App App, Toolkit Toolkit, IReadOnlyList<Field> Fields);

    // A name or IPv4 address with an optional port, or a bracketed IPv6 address (refused later unless public).
    [GeneratedRegex(@"^([A-Za-z0-9]([A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?$")]
    private static partial Regex HostLabel();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex DnsLabel();

    public async Task<Prompt?> LoadAsync(string requestId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var request = await db.ConnectionRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == requestId, ct);
        // An OAuth request comes here only while it waits for the fields its provider's URLs need (no state yet).
        if (request is null || request.Status != ConnectionRequestStatus.Initiated || request.AuthScheme == AuthSchemes.OAuth2 && request.StateHash is not null
            || request.ExpiresAt <= clock.GetUtcNow().UtcDateTime)
            return null;
        var app = await db.Apps.AsNoTracking().FirstAsync(a => a.Id == request.AppId, ct);
        var toolkit = catalog.Find(request.ToolkitSlug);
        if (toolkit is null) return null;
        return new Prompt(request, app, toolkit, request.AuthScheme == AuthSchemes.OAuth2
            ? FieldsOf(providers.OAuthFields(toolkit), name => providers.IsHostLabel(toolkit, name, oauth: true))
            : FieldsFor(toolkit, request.AuthScheme, name => providers.IsHostLabel(toolkit, name, oauth: false)));
    }

    /// <summary>The prompt fields for connection fields (`field.{name}`).</summary>
    /// <param name="hostLabel">Whether a field is the first label of a host (<see cref="OAuthProviders.IsHostLabel"/>).</param>
    public static List<Field> FieldsOf(IEnumerable<ConnectionField> fields, Func<string, bool>? hostLabel = null) =>
        fields.Select(f => new Field("field." + f.Name, f.Label.Length > 0 ? f.Label : f.Name, f.Secret, f.Required,
            f.In is null ? "A host name or account label, e.g. mycompany" : null, f.In is null && hostLabel?.Invoke(f.Name) == true)).ToList();

    public static List<Field> FieldsFor(Toolkit toolkit, string scheme, Func<string, bool>? hostLabel = null)
    {
        var fields = scheme switch
        {
            AuthSchemes.ApiKey => new List<Field> { new("api_key", $"{toolkit.Name} API key", true, true) },
            AuthSchemes.Basic => [new("username", "User name", false, true), new("password", "Password", true, true)],
            _ => [new("token", $"{toolkit.Name} access token", true, true)],
        };
        fields.AddRange(FieldsOf(toolkit.Fields ?? [], hostLabel));
        return fields;
    }

    /// <summary>
    /// Per-field problems, or none when the values can be stored. Host fields (placeholders in the API's address) must be
    /// a host label, and, with <paramref name="outbound"/>, not a literal private address or an odd spelling of one
    /// (`2130706433`, `0x7f000001`): a clear answer now, though the connect-time check of <see cref="Outbound.OutboundPolicy"/>
    /// is what actually keeps calls off private networks (a public-looking name may resolve to one later).
    /// </summary>
    public static Dictionary<string, string> Check(IReadOnlyList<Field> fields, IReadOnlyDictionary<string, string> values, Toolkit toolkit,
        Outbound.OutboundPolicy? outbound = null)
    {
        var problems = new Dictionary<string, string>();
        foreach (var field in fields)
        {
            var value = values.GetValueOrDefault(field.Name)?.Trim() ?? "";
            if (value.Length == 0) { if (field.Required) problems[field.Name] = $"Enter the {field.Label.ToLowerInvariant()}."; continue; }
            if (value.Length > 4096) problems[field.Name] = "That is too long (4096 characters at most).";
            else if (value.Any(char.IsControl)) problems[field.Name] = "Remove line breaks and control characters.";
            // Placeholder fields end up in the API's host name: a label, never a path or another URL.
            else if (field.Name.StartsWith("field.") && toolkit.Fields?.First(f => "field." + f.Name == field.Name).In is null && !HostLabel().IsMatch(value))
                problems[field.Name] = "Use letters, digits, dots and dashes only (no slashes or spaces).";
            // A placeholder inside a host name (`https://{subdomain}.zendesk.com`) takes one DNS label: no dot, colon or
            // bracket could make it another host or port (docs/security.md [32]).
            else if (field.HostLabel && !DnsLabel().IsMatch(value))
                problems[field.Name] = "Use the account's name only: letters, digits and dashes, no dots or colons (e.g. acme for acme.example.com).";
            else if (field.Name.StartsWith("field.") && toolkit.Fields?.First(f => "field." + f.Name == field.Name).In is null
                && outbound?.ProblemWithHost(value) is { } hostProblem)
                problems[field.Name] = hostProblem;
        }
        return problems;
    }

    /// <summary>
    /// Stores the connection and answers where to send the user (the app's redirect URL); for an OAuth toolkit, fixes the
    /// fields on the request and answers the provider's authorize URL instead.
    /// </summary>
    public async Task<string?> CompleteAsync(Prompt prompt, IReadOnlyDictionary<string, string> values, CancellationToken ct = default)
    {
        if (prompt.Request.AuthScheme == AuthSchemes.OAuth2)
            return await flow.ContinueOAuthAsync(prompt.Request, prompt.Toolkit, prompt.Fields
                .Where(f => values.GetValueOrDefault(f.Name)?.Trim() is { Length: > 0 })
                .ToDictionary(f => f.Name["field.".Length..], f => values[f.Name].Trim()), ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        if (await db.ConnectionRequests.Where(r => r.Id == prompt.Request.Id && r.Status == ConnectionRequestStatus.Initiated && r.ExpiresAt > now)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, "consuming"), ct) != 1)
            return null;
        string? Value(string name) => values.GetValueOrDefault(name)?.Trim() is { Length: > 0 } v ? v : null;
        var fields = (prompt.Toolkit.Fields ?? []).Where(f => Value("field." + f.Name) is not null)
            .ToDictionary(f => f.Name, f => Value("field." + f.Name)!);
        var credentials = new StoredCredentials
        {
            Scheme = prompt.Request.AuthScheme,
            ApiKey = prompt.Request.AuthScheme == AuthSchemes.ApiKey ? Value("api_key") : null,
            AccessToken = prompt.Request.AuthScheme == AuthSchemes.Bearer ? Value("token") : null,
            Username = Value("username"),
            Password = Value("password"),
            Fields = fields.Count > 0 ? fields : null,
        };
        var secret = credentials.ApiKey ?? credentials.AccessToken ?? credentials.Password ?? "";
        var label = credentials.Username ?? $"{prompt.Toolkit.Name} key …{(secret.Length > 8 ? secret[^4..] : "")}";
        var connectionId = await flow.SaveConnectionAsync(db, prompt.Request, null, label, [], credentials, now, ct);
        return ConnectFlow.WithQuery(prompt.Request.RedirectUrl, ("status", "connected"), ("toolkit", prompt.Request.ToolkitSlug), ("connectionId", connectionId));
    }

    public async Task<string?> CancelAsync(Prompt prompt, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var changed = false;
        await lifecycle.RequestFailedAsync(db, prompt.Request, "access_denied", async () => changed = await db.ConnectionRequests
            .Where(r => r.Id == prompt.Request.Id && r.Status == ConnectionRequestStatus.Initiated)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, ConnectionRequestStatus.Failed).SetProperty(r => r.Error, "access_denied").SetProperty(r => r.CompletedAt, now), ct) == 1, ct);
        return changed
            ? ConnectFlow.WithQuery(prompt.Request.RedirectUrl, ("status", "failed"), ("toolkit", prompt.Request.ToolkitSlug), ("error", "access_denied"))
            : null;
    }
}
