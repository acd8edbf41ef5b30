using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Outbound;

public sealed class OutboundOptions
{
    /// <summary>
    /// Lets tenant-chosen addresses reach loopback and private networks. Off by default: only tests and local stand-ins
    /// (providers running on this machine) turn it on, explicitly.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}

/// <summary>Why an outbound connection was not made. Its message never says whether anything listens there.</summary>
public sealed class OutboundRefused(string message) : IOException(message);

/// <summary>
/// The one policy for every HTTP client that calls an address a tenant chose (connection host fields, JWKS URLs; later
/// webhooks and the proxy) — docs/security.md [32]. The check runs in <see cref="SocketsHttpHandler.ConnectCallback"/> on the
/// addresses DNS answers at the moment the socket connects, so a name that resolves to a public address when it is saved
/// and to 127.0.0.1 when it is used (DNS rebinding) is still refused, and so is every spelling of an address
/// (`2130706433`, `0x7f000001`, `[::ffff:127.0.0.1]`): by then they are all one <see cref="IPAddress"/>.
/// Hosts the operator configured (the public origin, where the Sandbox lives, and `Butterbase:Toolkits:*` URLs) are
/// trusted by name, for the requests the operator's configuration addresses: configuring them is the explicit choice.
/// A request whose host a tenant chose (<see cref="TenantChosenHost"/>) may never name one of them, whichever toolkit
/// it is for (<see cref="OperatorHostGuard"/>): otherwise a tenant could type an operator's internal GitHub Enterprise
/// host into another toolkit's host field, and, with connections pooled by host, reuse its trusted connection.
/// Redirects are never followed, and no environment proxy is used (the policy would see only the proxy's address).
/// </summary>
public sealed class OutboundPolicy(IOptionsMonitor<OutboundOptions> options, IOptions<Connections.ToolkitSettingsBySlug> toolkits, PublicOrigin origin)
{
    /// <summary>How long one socket connect may take; a filtered port then fails like a closed one, not as a timeout.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The message for every refused or failed connect: closed, filtered, refused by policy and timed out look alike.</summary>
    public const string Unreachable = "The address could not be reached.";

    public bool AllowPrivateNetworks => options.CurrentValue.AllowPrivateNetworks;

    /// <summary>Set on a request whose host comes from a tenant (a connection's host field, an app's JWKS URL).</summary>
    public static readonly HttpRequestOptionsKey<bool> TenantChosenHost = new("Butterbase.TenantChosenHost");

    private HashSet<string>? _trusted;

    // Ranges that are not the public internet (IANA special-purpose registries, RFC 6890 and successors).
    private static readonly IPNetwork[] BlockedV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"),        // "this network", unspecified
        IPNetwork.Parse("10.0.0.0/8"),       // private (RFC 1918)
        IPNetwork.Parse("100.64.0.0/10"),    // carrier-grade NAT (RFC 6598)
        IPNetwork.Parse("127.0.0.0/8"),      // loopback
        IPNetwork.Parse("169.254.0.0/16"),   // link-local, cloud metadata (169.254.169.254)
        IPNetwork.Parse("172.16.0.0/12"),    // private
        IPNetwork.Parse("192.0.0.0/24"),     // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"),     // documentation
        IPNetwork.Parse("192.88.99.0/24"),   // 6to4 relay anycast
        IPNetwork.Parse("192.168.0.0/16"),   // private
        IPNetwork.Parse("198.18.0.0/15"),    // benchmarking
        IPNetwork.Parse("198.51.100.0/24"),  // documentation
        IPNetwork.Parse("203.0.113.0/24"),   // documentation
        IPNetwork.Parse("224.0.0.0/4"),      // multicast
        IPNetwork.Parse("240.0.0.0/4"),      // reserved, broadcast
    ];

    private static readonly IPNetwork[] BlockedV6 =
    [
        IPNetwork.Parse("::/128"),           // unspecified
        IPNetwork.Parse("::1/128"),          // loopback
        IPNetwork.Parse("100::/64"),         // discard
        IPNetwork.Parse("64:ff9b:1::/48"),   // local-use NAT64 (RFC 8215)
        IPNetwork.Parse("2001:db8::/32"),    // documentation
        IPNetwork.Parse("2001:10::/28"),     // ORCHID
        IPNetwork.Parse("fc00::/7"),         // unique local
        IPNetwork.Parse("fe80::/10"),        // link-local
        IPNetwork.Parse("fec0::/10"),        // site-local (deprecated, still routed by some stacks)
        IPNetwork.Parse("ff00::/8"),         // multicast
    ];

    private static readonly IPNetwork Compatible = IPNetwork.Parse("::/96");     // ::a.b.c.d (deprecated IPv4-compatible)
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");   // RFC 6052 well-known prefix
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");  // RFC 3056: 2002:AABB:CCDD::/48 embeds A.B.C.D
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");     // RFC 4380: server v4, then client v4 inverted

    /// <summary>True when <paramref name="address"/> is a public internet address: not loopback, private, link-local, … in any form.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return IsPublic(address.MapToIPv4());
        if (address.AddressFamily == AddressFamily.InterNetwork) return !BlockedV4.Any(n => n.Contains(address));
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return false;
        if (BlockedV6.Any(n => n.Contains(address))) return false;
        var bytes = address.GetAddressBytes();
        // Forms that carry an IPv4 address inside: the v4 one decides (a translator or tunnel would deliver there).
        if (Compatible.Contains(address)) return IsPublic(new IPAddress(bytes[12..16]));
        if (Nat64.Contains(address)) return IsPublic(new IPAddress(bytes[12..16]));
        if (SixToFour.Contains(address)) return IsPublic(new IPAddress(bytes[2..6]));
        if (Teredo.Contains(address))
            return IsPublic(new IPAddress(bytes[4..8])) && IsPublic(new IPAddress(bytes[12..16].Select(b => (byte)~b).ToArray()));
        return true;
    }

    /// <summary>Hosts the operator configured (host:port): the public origin and every toolkit URL override. Read once.</summary>
    private HashSet<string> TrustedHosts() => _trusted ??= ReadTrustedHosts();

    /// <summary>True when <paramref name="uri"/>'s host and port are one the operator configured.</summary>
    public bool IsOperatorHost(Uri uri) => TrustedHosts().Contains($"{uri.IdnHost}:{uri.Port}");

    private HashSet<string> ReadTrustedHosts()
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Add(string? url)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") hosts.Add($"{uri.IdnHost}:{uri.Port}");
        }
        try { Add(origin.Value); }
        catch (InvalidOperationException) { return hosts; } // no origin yet (a command-line run): nothing to trust by name, not kept
        foreach (var settings in toolkits.Value.Toolkits.Values)
            foreach (var (_, url) in settings.Urls()) Add(url);
        return hosts;
    }

    /// <summary>The connect step of every policed client: resolve, drop what is not public, connect to what remains.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        var trusted = AllowPrivateNetworks || TrustedHosts().Contains($"{endpoint.Host}:{endpoint.Port}");
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(endpoint.Host, ct);
        }
        catch (SocketException) { throw new OutboundRefused(Unreachable); }
        var allowed = trusted ? addresses : addresses.Where(IsPublic).ToArray();
        if (allowed.Length == 0) throw new OutboundRefused(Unreachable);

        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), timeout.Token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (Exception e) when (e is SocketException || e is OperationCanceledException && !ct.IsCancellationRequested)
            {
                socket.Dispose(); // refused, unreachable or timed out: try the next address, and say the same thing for all
            }
        }
        throw new OutboundRefused(Unreachable);
    }

    /// <summary>The primary handler for a policed client: this connect step, no redirects, no cookies.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        UseProxy = false, // through a proxy the connect step would see only the proxy's address, never the tenant's host
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = 256,
    };

    /// <summary>
    /// Why a host a tenant typed (a connection's host field: `name`, `name:port`, `[v6]:port`) cannot be used, or null.
    /// Literal addresses outside the public internet, and IPv4 written any way but as four decimal numbers (`2130706433`,
    /// `0x7f000001`, `0177.0.0.1`, `127.1`), are refused up front with a clear message; names are checked when the
    /// socket connects (<see cref="ConnectAsync"/>), which is the real guard.
    /// </summary>
    public string? ProblemWithHost(string value) => ProblemWithHost(value, AllowPrivateNetworks);

    /// <inheritdoc cref="ProblemWithHost(string)"/>
    public static string? ProblemWithHost(string value, bool allowPrivateNetworks)
    {
        var host = value;
        if (host.StartsWith('[') && host.IndexOf(']') is var close and > 0) host = host[1..close];
        else if (host.Count(c => c == ':') == 1) host = host[..host.IndexOf(':')];
        host = host.TrimEnd('.');
        if (host.Length == 0) return "Enter a host name.";

        var labels = host.Split('.');
        var looksNumeric = labels.All(l => l.Length > 0 && (l.All(char.IsAsciiDigit) || l.StartsWith("0x", StringComparison.OrdinalIgnoreCase)));
        if (!host.Contains(':') && looksNumeric)
        {
            if (!IPAddress.TryParse(host, out var v4) || labels.Length != 4 || labels.Any(l => l.Length > 1 && (l[0] == '0' || !l.All(char.IsAsciiDigit))))
                return "Write an IPv4 address as four decimal numbers (e.g. 203.0.113.7), or use the host name.";
            return allowPrivateNetworks || IsPublic(v4) ? null : PrivateMessage;
        }
        if (IPAddress.TryParse(host, out var v6)) return allowPrivateNetworks || IsPublic(v6) ? null : PrivateMessage;
        if (!allowPrivateNetworks && (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)))
            return PrivateMessage;
        return null;
    }

    private const string PrivateMessage = "That address is on a private or local network; Butterbase connects only to hosts on the public internet.";
}

/// <summary>
/// Refuses, before any connection is made or reused, a request whose host a tenant chose when that host is one the
/// operator configured (<see cref="OutboundPolicy"/>). With <paramref name="everyRequest"/> every request of the client
/// counts as tenant-chosen (the JWKS client).
/// </summary>
public sealed class OperatorHostGuard(OutboundPolicy policy, bool everyRequest = false) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var tenantChosen = everyRequest || request.Options.TryGetValue(OutboundPolicy.TenantChosenHost, out var chosen) && chosen;
        if (tenantChosen && !policy.AllowPrivateNetworks && request.RequestUri is { } uri && policy.IsOperatorHost(uri))
            throw new HttpRequestException(OutboundPolicy.Unreachable, new OutboundRefused(OutboundPolicy.Unreachable));
        return base.SendAsync(request, cancellationToken);
    }
}
