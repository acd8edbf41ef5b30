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
        foreach (ref var c in span[prefix.Length..])
        {
            byte b;
            do b = RandomBytes.Next(); while (b >= 252); // 252 = 7 × 36: the bytes above it would favour the first characters
            c = Lower[b % 36];
        }
    });

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
