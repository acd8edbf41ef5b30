using System.Net;
using Butterbase.Portal.Outbound;

namespace Butterbase.Portal.Tests.Outbound;

/// <summary>The outbound policy's address table (docs/security.md [32]): what counts as the public internet, in every spelling.</summary>
public sealed class OutboundPolicyTests
{
    [Theory]
    // IPv4: loopback, unspecified, private, CGNAT, link-local (cloud metadata), multicast, broadcast, reserved, documentation
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("169.254.169.254")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("240.0.0.1")]
    [InlineData("198.18.0.1")]
    [InlineData("192.0.0.8")]
    [InlineData("192.0.2.1")]
    // IPv6: unspecified, loopback, unique local, link-local, site-local, multicast, documentation, local NAT64
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fe80::1")]
    [InlineData("fec0::1")]
    [InlineData("ff02::1")]
    [InlineData("2001:db8::1")]
    [InlineData("64:ff9b:1::1")]
    [InlineData("100::1")]
    // IPv4 inside IPv6: mapped, compatible, NAT64 (RFC 6052), 6to4 (RFC 3056), Teredo (client address inverted)
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::127.0.0.1")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:7f00:1::1")]
    [InlineData("2002:a9fe:a9fe::")]
    [InlineData("2002:c0a8:101::1")]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe")]
    public void Addresses_off_the_public_internet_are_refused(string address) =>
        Assert.False(OutboundPolicy.IsPublic(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("93.184.216.34")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:808:808::1")]
    public void Public_addresses_are_allowed(string address) =>
        Assert.True(OutboundPolicy.IsPublic(IPAddress.Parse(address)), address);

    [Theory]
    [InlineData("127.0.0.1:5310")]
    [InlineData("169.254.169.254")]
    [InlineData("10.0.0.1")]
    [InlineData("100.64.0.1")]
    [InlineData("localhost")]
    [InlineData("LOCALHOST:8080")]
    [InlineData("api.localhost")]
    [InlineData("localhost.")]
    [InlineData("[::1]")]
    [InlineData("[::ffff:127.0.0.1]:8080")]
    [InlineData("[fd00::1]")]
    [InlineData("[::]")]
    public void Literal_private_hosts_in_a_host_field_are_refused_with_a_clear_message(string host) =>
        Assert.Contains("private or local network", OutboundPolicy.ProblemWithHost(host, allowPrivateNetworks: false));

    [Theory]
    [InlineData("2130706433")]
    [InlineData("0x7f000001")]
    [InlineData("0177.0.0.1")]
    [InlineData("127.1")]
    [InlineData("0x7f.1")]
    [InlineData("2130706433:80")]
    [InlineData("134744072")]
    [InlineData("08.8.8.8")]
    [InlineData("0x08.0x08.0x08.0x08")]
    public void Addresses_spelled_other_than_four_decimal_numbers_are_refused_even_when_private_networks_are_allowed(string host)
    {
        Assert.Contains("four decimal numbers", OutboundPolicy.ProblemWithHost(host, allowPrivateNetworks: false));
        Assert.Contains("four decimal numbers", OutboundPolicy.ProblemWithHost(host, allowPrivateNetworks: true));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("jellyfin.example.com:8096")]
    [InlineData("8.8.8.8")]
    [InlineData("8.8.8.8:443")]
    [InlineData("[2606:4700:4700::1111]")]
    [InlineData("123.example.com")]
    public void Public_hosts_and_names_pass_the_field_check(string host) =>
        Assert.Null(OutboundPolicy.ProblemWithHost(host, allowPrivateNetworks: false));

    [Fact]
    public void With_private_networks_allowed_loopback_hosts_pass_for_local_stand_ins()
    {
        Assert.Null(OutboundPolicy.ProblemWithHost("127.0.0.1:5310", allowPrivateNetworks: true));
        Assert.Null(OutboundPolicy.ProblemWithHost("localhost", allowPrivateNetworks: true));
    }
}
