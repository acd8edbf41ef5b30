using System.Net;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Outbound;

/// <summary>`Butterbase:ForwardedHeaders`: the TLS-terminating proxies whose `X-Forwarded-Proto`/`-For` are believed.</summary>
public sealed class ForwardedHeadersSettings
{
    public const string Section = "Butterbase:ForwardedHeaders";

    /// <summary>Proxy addresses (`10.0.0.5`).</summary>
    public List<string> KnownProxies { get; } = [];
    /// <summary>Proxy networks (`10.0.0.0/24`).</summary>
    public List<string> KnownNetworks { get; } = [];
}

/// <summary>An address or network that does not parse stops the host at start, naming the entry.</summary>
public sealed class ForwardedHeadersValidation : IValidateOptions<ForwardedHeadersSettings>
{
    public ValidateOptionsResult Validate(string? name, ForwardedHeadersSettings options)
    {
        var failures = options.KnownProxies.Select((p, i) => (p, i)).Where(x => !IPAddress.TryParse(x.p, out _))
            .Select(x => $"{ForwardedHeadersSettings.Section}:KnownProxies:{x.i} must be an IP address (e.g. 10.0.0.5), not '{x.p}'.")
            .Concat(options.KnownNetworks.Select((n, i) => (n, i)).Where(x => !IPNetwork.TryParse(x.n, out _))
                .Select(x => $"{ForwardedHeadersSettings.Section}:KnownNetworks:{x.i} must be a network in CIDR notation (e.g. 10.0.0.0/24), not '{x.n}'."))
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
