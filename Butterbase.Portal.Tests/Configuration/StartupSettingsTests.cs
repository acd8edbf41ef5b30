using Butterbase.Portal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Tests.Configuration;

/// <summary>
/// Settings are typed options checked at start: a wrong value stops the host with the setting's name, instead of a cache
/// that never expires or a log pruned every request, found in production weeks later.
/// </summary>
public sealed class StartupSettingsTests
{
    [Theory]
    [InlineData("Butterbase:Cache:ConnectionSeconds", "-5", "ConnectionSeconds")]
    [InlineData("Butterbase:Cache:ApiKeySeconds", "86400000", "ApiKeySeconds")]
    [InlineData("Butterbase:Executions:RetentionDays", "0", "RetentionDays")]
    public async Task A_setting_out_of_range_stops_the_host_and_names_the_setting(string key, string value, string named)
    {
        await using var portal = new PortalApplication().With(key, value);
        var failure = Assert.ThrowsAny<OptionsValidationException>(() => portal.Address);
        Assert.Contains(named, failure.Message);
    }

    [Fact]
    public async Task A_setting_that_is_not_a_number_stops_the_host_and_names_the_setting()
    {
        await using var portal = new PortalApplication().With("Butterbase:Cache:McpServerSeconds", "thirty");
        var failure = Assert.ThrowsAny<InvalidOperationException>(() => portal.Address);
        Assert.Contains("McpServerSeconds", failure.ToString());
    }

    [Theory]
    [InlineData("Butterbase:Toolkits:github:ApiBaseUrl", "github.example.com/api/v3")]
    [InlineData("Butterbase:Toolkits:jira:AccessibleResourcesUrl", "ftp://resources.example.com")]
    [InlineData("Butterbase:Database:Provider", "Oracle")]
    [InlineData("Butterbase:PublicBaseUrl", "https://integrations.example.com/portal")]
    [InlineData("Butterbase:ForwardedHeaders:KnownProxies:0", "proxy.internal")]
    [InlineData("Butterbase:Sandbox:AccessTokenLifetimeSeconds", "0")]
    [InlineData("Butterbase:DataProtection:CertificatePath", "/nonexistent/butterbase-keys.pfx")]
    public async Task A_wrong_value_stops_the_host_with_a_message_naming_the_key(string key, string value)
    {
        await using var portal = new PortalApplication().With("Butterbase:Sandbox:Enabled", "true").With(key, value);
        var failure = Assert.ThrowsAny<OptionsValidationException>(() => portal.Address);
        Assert.Contains(key, failure.Message);
    }

    /// <summary>A toolkit URL with credentials in it is refused, and the message does not repeat them (start-up logs).</summary>
    [Fact]
    public async Task A_toolkit_url_carrying_credentials_is_refused_without_repeating_them()
    {
        await using var portal = new PortalApplication().With("Butterbase:Toolkits:github:ApiBaseUrl", "https://bot:S3cretPw@github.example.com/api/v3");
        var failure = Assert.ThrowsAny<OptionsValidationException>(() => portal.Address);
        Assert.Contains("Butterbase:Toolkits:github:ApiBaseUrl", failure.Message);
        Assert.DoesNotContain("S3cretPw", failure.ToString());
    }

    [Fact]
    public async Task Toolkit_urls_with_field_placeholders_or_relative_to_the_portal_are_accepted_and_read_as_configured()
    {
        await using var portal = new PortalApplication()
            .With("Butterbase:Toolkits:Shopify:ApiBaseUrl", "http://{shop}/admin/api")
            .With("Butterbase:Toolkits:zendesk:TokenUrl", "https://{subdomain}.zendesk.example/oauth/tokens")
            .With("Butterbase:Toolkits:sandbox:UserInfoUrl", "/sandbox/api/me")
            .With("Butterbase:Toolkits:google:AuthorizeParams:prompt", "")
            .With("Butterbase:Toolkits:github:TokenUrl", "");
        _ = portal.Address;
        var settings = portal.Services.GetRequiredService<IOptions<Butterbase.Portal.Connections.ToolkitSettingsBySlug>>().Value;
        Assert.Equal("http://{shop}/admin/api", settings.For("shopify").ApiBaseUrl); // slugs as case-insensitive as configuration keys
        Assert.Equal("/sandbox/api/me", settings.For("sandbox").UserInfoUrl);
        Assert.Equal("", settings.For("google").AuthorizeParams["prompt"]); // an empty value removes the catalog's parameter
        Assert.Null(settings.For("github").ApiBaseUrl);
        Assert.Null(settings.For("github").TokenUrl); // an empty setting is not set: the catalog's URL stays in effect
    }
}
