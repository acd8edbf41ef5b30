using System.Net.Http.Headers;
using System.Text.Json;

namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `xero_tenant` — a Xero grant may cover several organisations; every API call names one in the `xero-tenant-id`
/// header. After the exchange, `GET https://api.xero.com/connections` answers
/// `[{id, authEventId, tenantId, tenantType, tenantName, createdDateUtc, updatedDateUtc}]`
/// (https://developer.xero.com/documentation/guides/oauth2/auth-flow/#5-check-the-tenants-youre-authorized-to-access);
/// the first organisation is kept and sent on every call of the toolkit. The URL is configurable as
/// `Butterbase:Toolkits:{slug}:ConnectionsUrl`.
/// </summary>
public sealed class XeroTenant : ProviderQuirk
{
    public const string DefaultUrl = "https://api.xero.com/connections";
    public const string TenantKey = "xero_tenant_id";

    public override string Name => "xero_tenant";

    public override async Task<QuirkFindings> AfterConnectAsync(QuirkConnectContext context, CancellationToken ct)
    {
        var (json, problem) = await GetJsonAsync(context.Http, context.Settings.ConnectionsUrl ?? DefaultUrl,
            new AuthenticationHeaderValue("Bearer", context.Tokens.AccessToken), ct);
        if (json is not { ValueKind: JsonValueKind.Array } tenants) return QuirkFindings.Failed("Xero did not list the organisations of this grant: " + (problem ?? "no list."));
        foreach (var tenant in tenants.EnumerateArray())
            if (Text(tenant, "tenantId") is { } id && Guid.TryParse(id, out _))
                return new QuirkFindings { Extras = { [TenantKey] = id }, Label = Text(tenant, "tenantName") };
        return QuirkFindings.Failed("The Xero user connected no organisation; connect again and choose one.");
    }

    public override void PrepareApiRequest(HttpRequestMessage request, StoredCredentials credentials)
    {
        if (credentials.Extra?.GetValueOrDefault(TenantKey) is { } tenant) request.Headers.TryAddWithoutValidation("xero-tenant-id", tenant);
    }
}
