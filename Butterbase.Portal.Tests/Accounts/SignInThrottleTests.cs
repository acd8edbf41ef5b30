using Butterbase.Portal.Accounts;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Butterbase.Portal.Tests.Accounts;

/// <summary>
/// The sign-in throttle's own bounds (docs/security.md [36]): an anonymous spray cannot grow its memory, IPv6 rotation inside
/// one block is one address, and a shared address is not blocked for good by its users' old typos.
/// </summary>
public sealed class SignInThrottleTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-02T10:00:00Z"));
    private readonly SignInThrottle _throttle;

    public SignInThrottleTests() => _throttle = new SignInThrottle(Options.Create(new AccountOptions()), _clock);

    private bool TryWrongPassword(string email, string ip)
    {
        var (attempt, _) = _throttle.Begin(email, ip);
        if (attempt is null) return false;
        using (attempt) attempt.Failed();
        return true;
    }

    [Fact]
    public void A_spray_of_made_up_emails_from_one_address_stops_adding_counters_once_the_address_is_held_back()
    {
        var checkedPasswords = 0;
        for (var i = 0; i < 5000; i++)
            if (TryWrongPassword($"{new string('x', 10_000)}{i}@example.com", "203.0.113.7")) checkedPasswords++;
        Assert.Equal(20, checkedPasswords); // the address's free attempts, then held back
        Assert.True(_throttle.Count <= 21, $"{_throttle.Count} counters after the spray"); // 20 emails + the address, not 5,000
    }

    [Fact]
    public void Counters_with_nothing_to_remember_are_let_go()
    {
        for (var i = 0; i < 1000; i++)
        {
            var (attempt, _) = _throttle.Begin($"user{i}@example.com", $"198.51.100.{i % 250}");
            using (attempt!) attempt!.Succeeded();
        }
        _clock.Advance(TimeSpan.FromSeconds(11));
        _throttle.Begin("late@example.com", "198.51.100.1").Attempt!.Dispose(); // the prune runs at the next attempt
        Assert.True(_throttle.Count <= 2, $"{_throttle.Count} counters kept after only successful sign-ins");
    }

    [Fact]
    public void Rotating_addresses_inside_one_ipv6_64_counts_as_one_address()
    {
        var checkedPasswords = 0;
        for (var i = 0; i < 100; i++)
            if (TryWrongPassword($"victim{i}@example.com", $"2001:db8:1:2::{i:x}")) checkedPasswords++;
        Assert.Equal(20, checkedPasswords);
        Assert.True(TryWrongPassword("other@example.com", "2001:db8:1:3::1")); // the next /64 is another address
    }

    [Fact]
    public void An_address_s_failures_are_forgotten_after_a_quiet_longest_delay_but_an_account_s_are_not()
    {
        for (var i = 0; i < 20; i++) Assert.True(TryWrongPassword($"typo{i}@example.com", "192.0.2.1"));
        Assert.False(TryWrongPassword("one-more@example.com", "192.0.2.1"));
        for (var i = 0; i < 5; i++) Assert.True(TryWrongPassword("target@example.com", $"192.0.2.{100 + i}"));

        _clock.Advance(TimeSpan.FromSeconds(new AccountOptions().MaxDelaySeconds + 1));
        for (var i = 0; i < 20; i++) Assert.True(TryWrongPassword($"fresh{i}@example.com", "192.0.2.1")); // the office NAT works again
        Assert.True(TryWrongPassword("target@example.com", "192.0.2.50")); // one try after the delay…
        Assert.False(TryWrongPassword("target@example.com", "192.0.2.51")); // …not five free ones again
    }
}
