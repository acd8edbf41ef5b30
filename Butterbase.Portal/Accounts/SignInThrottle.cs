using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Accounts;

/// <summary>`Butterbase:Accounts:*`.</summary>
public sealed class AccountOptions
{
    /// <summary>`open` (anyone), `invite` (the first account, then only holders of an invite link), `first-user-only` (the first account, then nobody).</summary>
    public string SignUp { get; set; } = SignUpModes.FirstUserOnly;
    /// <summary>Wrong passwords for one email before each further attempt waits (1 s, 2 s, 4 s… up to <see cref="MaxDelaySeconds"/>).</summary>
    public int FreeAttemptsPerAccount { get; set; } = 5;
    /// <summary>Wrong passwords from one IP address, over all emails, before its attempts wait the same way.</summary>
    public int FreeAttemptsPerIp { get; set; } = 20;
    public int MaxDelaySeconds { get; set; } = 900;
}

public static class SignUpModes
{
    public const string Open = "open", Invite = "invite", FirstUserOnly = "first-user-only";
}

/// <summary>
/// Growing delays for wrong passwords, per account (the normalized email, whether or not it has an account, so the
/// answer does not tell) and per IP address (docs/security.md [36]). An attempt reserves its place before the password is
/// checked, so parallel clients cannot all slip through before the first failure is counted: past the free attempts,
/// one email gets one check at a time, and only after its delay. A throttled attempt is answered without looking at
/// the password, so the right one does not get in during the delay.
/// Kept in this process's memory: each instance counts on its own (documented in README: divide the allowance by the
/// number of instances, or throttle at the load balancer too). Memory stays bounded under a spray: keys are fixed-size
/// hashes, an address already held back creates no per-email counter, IPv6 counts per /64 (one host's whole block), and
/// every 10 s counters with nothing to remember (no failure, nothing pending) or idle past twice the longest delay go.
/// An address's failures are forgotten after a quiet longest-delay (a shared NAT or proxy is not blocked for good by
/// its users' typos); an account's are not, so a patient guesser stays at one try per longest delay.
/// </summary>
public sealed class SignInThrottle(IOptions<AccountOptions> options, TimeProvider clock)
{
    private sealed class Counter
    {
        public int Failures, Pending;
        public DateTimeOffset BlockedUntil, LastSeen, LastFailure;
    }

    private readonly ConcurrentDictionary<string, Counter> _counters = new();
    private long _nextPrune;

    /// <summary>Counters held now (for the memory bound's test).</summary>
    internal int Count => _counters.Count;

    /// <summary>A place to check one password, or how long to wait before trying again.</summary>
    public sealed class Attempt(SignInThrottle owner, string[] keys) : IDisposable
    {
        private bool _reported;
        public void Succeeded() { _reported = true; owner.End(keys, success: true); }
        public void Failed() { _reported = true; owner.End(keys, success: false); }
        public void Dispose() { if (!_reported) owner.End(keys, success: null); }
    }

    public (Attempt? Attempt, TimeSpan RetryAfter) Begin(string normalizedEmail, string? ip)
    {
        Prune();
        var o = options.Value;
        var address = AddressKey(ip);
        // The address first: an address held back creates no counter for each email it sprays.
        var wait = Reserve(address, o.FreeAttemptsPerIp, forgetAfterQuiet: true);
        if (wait > TimeSpan.Zero) return (null, wait);
        var account = "a:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(normalizedEmail)));
        wait = Reserve(account, o.FreeAttemptsPerAccount, forgetAfterQuiet: false);
        if (wait > TimeSpan.Zero)
        {
            End([address], success: null);
            return (null, wait);
        }
        return (new Attempt(this, [account, address]), TimeSpan.Zero);
    }

    /// <summary>One counter per IPv4 address, per IPv6 /64 (what one host or customer is usually given).</summary>
    private static string AddressKey(string? ip)
    {
        if (!System.Net.IPAddress.TryParse(ip, out var parsed)) return "i:unknown";
        if (parsed.IsIPv4MappedToIPv6) parsed = parsed.MapToIPv4();
        if (parsed.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return "i:" + parsed;
        var bytes = parsed.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return "i:" + new System.Net.IPAddress(bytes) + "/64";
    }

    private TimeSpan Reserve(string key, int free, bool forgetAfterQuiet)
    {
        var counter = _counters.GetOrAdd(key, _ => new Counter());
        var now = clock.GetUtcNow();
        lock (counter)
        {
            counter.LastSeen = now;
            if (counter.BlockedUntil > now) return counter.BlockedUntil - now;
            if (forgetAfterQuiet && counter.Pending == 0 && now - counter.LastFailure > TimeSpan.FromSeconds(options.Value.MaxDelaySeconds))
                counter.Failures = 0;
            // Within the free attempts, as many at once as remain; past them, one at a time.
            var allowed = Math.Max(1, free - counter.Failures);
            if (counter.Pending >= allowed) return TimeSpan.FromSeconds(1);
            counter.Pending++;
            return TimeSpan.Zero;
        }
    }

    private void End(string[] keys, bool? success)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        foreach (var key in keys)
        {
            if (!_counters.TryGetValue(key, out var counter)) continue;
            var free = key.StartsWith("a:", StringComparison.Ordinal) ? o.FreeAttemptsPerAccount : o.FreeAttemptsPerIp;
            lock (counter)
            {
                counter.Pending = Math.Max(0, counter.Pending - 1);
                counter.LastSeen = now;
                if (success == true && key[0] == 'a') { counter.Failures = 0; counter.BlockedUntil = default; }
                else if (success == false)
                {
                    counter.Failures++;
                    counter.LastFailure = now;
                    if (counter.Failures >= free)
                    {
                        var exponent = Math.Min(counter.Failures - free, 20);
                        var delay = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, exponent), o.MaxDelaySeconds));
                        counter.BlockedUntil = now + delay;
                    }
                }
            }
        }
    }

    /// <summary>At most every 10 s: forgets counters with nothing to remember, and those idle past twice the longest delay.</summary>
    private void Prune()
    {
        var now = clock.GetUtcNow();
        var next = Interlocked.Read(ref _nextPrune);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextPrune, now.UtcTicks + TimeSpan.TicksPerSecond * 10, next) != next) return;
        var cutoff = now - TimeSpan.FromSeconds(options.Value.MaxDelaySeconds * 2);
        foreach (var (key, counter) in _counters)
            lock (counter)
                if (counter.Pending == 0 && (counter.Failures == 0 || counter.LastSeen < cutoff)) _counters.TryRemove(key, out _);
    }
}
