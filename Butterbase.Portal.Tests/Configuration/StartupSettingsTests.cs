using Butterbase.Portal.Tests.Support;
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
}
