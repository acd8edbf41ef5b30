using Butterbase.Portal.Connections;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Outbound;

/// <summary>
/// The portal's public origin (`https://integrations.example.com`): where providers send users back, what the Sandbox
/// accepts as redirect URI, where host-relative provider URLs (the Sandbox's) point. It comes from
/// `Butterbase:PublicBaseUrl`, required outside Development, and never from a request: a forged `Host` header would
/// otherwise send the Sandbox's client secret, PKCE verifiers and users' tokens to a host of the attacker's choosing
/// (docs/security.md [33]). In Development without the setting it is the server's own listening address.
/// </summary>
public sealed class PublicOrigin(IOptions<PublicOriginOptions> options, IServiceProvider services, IHostEnvironment? environment = null)
{
    public const string SettingKey = PublicOriginOptions.SettingKey;
    private string? _value;

    /// <summary>Scheme, host and port, no trailing slash. Read once (UseOutbound checks the setting at start).</summary>
    public string Value => _value ??= options.Value.Origin ?? Listening();

    /// <summary>Development and tests only: the first address Kestrel listens on, wildcards read as localhost.</summary>
    private string Listening()
    {
        if (environment is null || !AllowsListeningFallback(environment))
            throw new InvalidOperationException($"Set {SettingKey} to the portal's public origin (e.g. https://integrations.example.com).");
        var address = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException($"The server is not listening yet and {SettingKey} is not set.");
        foreach (var wildcard in new[] { "://[::]", "://0.0.0.0", "://+", "://*" })
            address = address.Replace(wildcard, "://localhost");
        return address.TrimEnd('/');
    }

    /// <summary>Development, and the test host's "Testing" environment (its port is only known once it listens).</summary>
    public static bool AllowsListeningFallback(IHostEnvironment environment) => environment.IsDevelopment() || environment.IsEnvironment("Testing");
}

public static class OutboundSetup
{
    public const string JwksClient = "jwks";

    /// <summary>
    /// The outbound policy, the public origin, host filtering from that origin, forwarded headers from known proxies
    /// (`Butterbase:ForwardedHeaders:KnownProxies`), and the JWKS client under the policy.
    /// </summary>
    public static void AddOutbound(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<OutboundOptions>().BindConfiguration("Butterbase:Outbound");
        services.AddSingleton<IValidateOptions<PublicOriginOptions>, PublicOriginValidation>();
        services.AddOptions<PublicOriginOptions>().BindConfiguration(PublicOriginOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, ForwardedHeadersValidation>();
        services.AddOptions<ForwardedHeadersSettings>().BindConfiguration(ForwardedHeadersSettings.Section).ValidateOnStart();
        services.AddToolkitSettings(); // the policy trusts the operator's toolkit URLs by name
        services.AddSingleton<PublicOrigin>();
        services.AddSingleton<OutboundPolicy>();
        // An app's identity provider JWKS URL is tenant-chosen: under the policy, no redirects (they could lead to loopback).
        // A key set is a few KB: a tenant's endpoint may not make the host buffer more.
        services.AddHttpClient(JwksClient, c => { c.Timeout = TimeSpan.FromSeconds(5); c.MaxResponseContentBufferSize = 1024 * 1024; })
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundPolicy>().CreateHandler())
            .AddHttpMessageHandler(sp => new OperatorHostGuard(sp.GetRequiredService<OutboundPolicy>(), everyRequest: true))
            .RemoveAllLoggers();

        // Requests for another host name are refused (400) once the public origin is configured, unless AllowedHosts
        // was set explicitly to something narrower than "*".
        services.AddOptions<HostFilteringOptions>().PostConfigure<IOptions<PublicOriginOptions>>((options, publicOrigin) =>
        {
            if (publicOrigin.Value.Origin is not { } origin) return;
            if (options.AllowedHosts.Count > 0 && !options.AllowedHosts.Contains("*")) return;
            options.AllowedHosts = [new Uri(origin).Host];
        });

        // Behind a TLS-terminating proxy: trust X-Forwarded-Proto/-For from the listed proxies only, so the request is
        // https again (Secure cookies) and the client address is the real one. The origin never comes from these headers.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((options, forwarded) =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in forwarded.Value.KnownProxies) options.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            foreach (var network in forwarded.Value.KnownNetworks) options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
    }

    /// <summary>
    /// Checks the public origin at start (a clear error instead of callbacks to wherever a request claims to be) and
    /// applies forwarded headers from known proxies. First in the pipeline.
    /// </summary>
    public static void UseOutbound(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<PublicOriginOptions>>().Value.Origin is null && !PublicOrigin.AllowsListeningFallback(app.Environment))
            throw new InvalidOperationException(
                $"Set {PublicOrigin.SettingKey} to the portal's public origin (e.g. https://integrations.example.com): OAuth callbacks and the Sandbox's URLs are built from it, never from a request's Host header.");
        // Only with proxies listed: with none, the middleware would trust X-Forwarded-* from anyone.
        var options = app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        if (options.KnownProxies.Count > 0 || options.KnownIPNetworks.Count > 0) app.UseForwardedHeaders();
    }
}
