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
/// answer does not tell) and per IP address (SECURITY.md 36). An attempt reserves its place before the password is
/// checked, so parallel clients cannot all slip through before the first failure is counted: past the free attempts,
/// one email gets one check at a time, and only after its delay. A throttled attempt is answered without looking at
/// the password, so the right one does not get in during the delay.
/// Kept in this process's memory: each instance counts on its own (documented in README: divide the allowance by the
/// number of instances, or throttle at the load balancer too).
/// </summary>
public sealed class SignInThrottle(IOptions<AccountOptions> options, TimeProvider clock)
{
    private sealed class Counter
    {
        public int Failures, Pending;
        public DateTimeOffset BlockedUntil, LastSeen;
    }

    private readonly ConcurrentDictionary<string, Counter> _counters = new();

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
        var account = "a:" + normalizedEmail;
        var address = "i:" + (ip ?? "unknown");
        var o = options.Value;
        var wait = Reserve(account, o.FreeAttemptsPerAccount);
        if (wait > TimeSpan.Zero) return (null, wait);
        wait = Reserve(address, o.FreeAttemptsPerIp);
        if (wait > TimeSpan.Zero)
        {
            End([account], success: null);
            return (null, wait);
        }
        return (new Attempt(this, [account, address]), TimeSpan.Zero);
    }

    private TimeSpan Reserve(string key, int free)
    {
        var counter = _counters.GetOrAdd(key, _ => new Counter());
        var now = clock.GetUtcNow();
        lock (counter)
        {
            counter.LastSeen = now;
            if (counter.BlockedUntil > now) return counter.BlockedUntil - now;
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

    /// <summary>Forgets counters idle for longer than the longest delay, so a spray of made-up emails cannot grow memory for ever.</summary>
    private void Prune()
    {
        if (_counters.Count < 10_000) return;
        var cutoff = clock.GetUtcNow() - TimeSpan.FromSeconds(options.Value.MaxDelaySeconds * 2);
        foreach (var (key, counter) in _counters)
            lock (counter)
                if (counter.Pending == 0 && counter.LastSeen < cutoff) _counters.TryRemove(key, out _);
    }
}
