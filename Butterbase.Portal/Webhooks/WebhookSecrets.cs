using System.Security.Cryptography;
using System.Text;
using Butterbase.Portal.Connections;
using Microsoft.AspNetCore.DataProtection;

namespace Butterbase.Portal.Webhooks;

/// <summary>
/// Endpoint secrets and signatures in the Standard Webhooks format (https://www.standardwebhooks.com): a secret is `whsec_`
/// + base64 of 32 random bytes; a signature is `v1,` + base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")).
/// Secrets are stored encrypted with the credentials' Data Protection purpose, bound to app and endpoint id (a blob
/// copied to another endpoint's row does not decrypt), and leave the server only where docs/security.md says.
/// The tests verify what this signs with the `StandardWebhooks` NuGet package, an implementation independent of this one.
/// </summary>
public sealed class WebhookSecrets(CredentialProtector protector)
{
    public const string Prefix = "whsec_";

    public static string New() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Protect(string appId, string endpointId, string secret) => protector.For("webhook-secret", appId, endpointId).Protect(secret);

    public string Unprotect(string appId, string endpointId, string blob) => protector.For("webhook-secret", appId, endpointId).Unprotect(blob);

    /// <summary>The secrets that sign now: the current one, and the previous one during its overlap after a rotation.</summary>
    public List<string> Signing(WebhookEndpoint endpoint, DateTime now)
    {
        var secrets = new List<string> { Unprotect(endpoint.AppId, endpoint.Id, endpoint.Secret) };
        if (endpoint.PreviousSecret is { } previous && endpoint.PreviousSecretUntil > now)
            secrets.Add(Unprotect(endpoint.AppId, endpoint.Id, previous));
        return secrets;
    }

    /// <summary>The `webhook-signature` header: one `v1,…` per secret, space-separated (receivers accept any that verifies).</summary>
    public static string Sign(IEnumerable<string> secrets, string messageId, long timestamp, string body) =>
        string.Join(' ', secrets.Select(s => Sign(s, messageId, timestamp, body)));

    public static string Sign(string secret, string messageId, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }
}
