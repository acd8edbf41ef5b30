using System.Security.Cryptography;

namespace Butterbase.Portal.Data;

/// <summary>Random, prefixed identifiers (`app_…`, `key_…`) and secrets from the OS CSPRNG.</summary>
public static class Ids
{
    private const string Lower = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const string Base62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>
    /// An identifier: <paramref name="prefix"/> and <paramref name="length"/> characters of [a-z0-9] (≈ 5.17 bits each),
    /// uniform, from CSPRNG bytes read 512 at a time per thread (one OS call per ~20 ids, not one per id: every execute
    /// makes an id).
    /// </summary>
    public static string New(string prefix, int length = 16) => string.Create(prefix.Length + length, prefix, static (span, prefix) =>
    {
        prefix.AsSpan().CopyTo(span);
        FillRandom(span[prefix.Length..]);
    });

    private static void FillRandom(Span<char> span)
    {
        foreach (ref var c in span)
        {
            byte b;
            do b = RandomBytes.Next(); while (b >= 252); // 252 = 7 × 36: the bytes above it would favour the first characters
            c = Lower[b % 36];
        }
    }

    /// <summary>
    /// An identifier whose first <see cref="TimeChars"/> characters are the Unix time in milliseconds, base 36 in ordinal
    /// order, and the rest random as in <see cref="New"/> (`ex_` + 20: 11 random characters, ≈ 57 bits): for the
    /// append-only execution log, whose rows then land on the last pages of its primary-key index instead of random
    /// ones (docs/architecture.md "Execute"). The time it shows is when the row was made (the recorder's rows: their created_at),
    /// which the API shows anyway; ids are never a capability (every lookup is by app too).
    /// </summary>
    public static string Ordered(string prefix, int length, DateTimeOffset now) => string.Create(prefix.Length + length, (prefix, now.ToUnixTimeMilliseconds()), static (span, state) =>
    {
        var (prefix, ms) = (state.prefix, Math.Max(0, state.Item2));
        prefix.AsSpan().CopyTo(span);
        for (var i = prefix.Length + TimeChars - 1; i >= prefix.Length; i--) { span[i] = Ordinal[(int)(ms % 36)]; ms /= 36; }
        FillRandom(span[(prefix.Length + TimeChars)..]);
    });

    /// <summary>36⁹ ms: until the year 5188.</summary>
    public const int TimeChars = 9;
    private const string Ordinal = "0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>A secret of <paramref name="length"/> base62 characters (≈ 5.95 bits each).</summary>
    public static string Secret(int length) => RandomNumberGenerator.GetString(Base62, length);

    private static class RandomBytes
    {
        [ThreadStatic] private static byte[]? _buffer;
        [ThreadStatic] private static int _next;

        public static byte Next()
        {
            var buffer = _buffer ??= new byte[512];
            if (_next == 0 || _next == buffer.Length) { RandomNumberGenerator.Fill(buffer); _next = 0; }
            return buffer[_next++];
        }
    }
}
