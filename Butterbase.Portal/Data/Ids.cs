using System.Security.Cryptography;

namespace Butterbase.Portal.Data;

/// <summary>Random, prefixed identifiers (`app_…`, `key_…`) and secrets from the OS CSPRNG.</summary>
public static class Ids
{
    private const string Lower = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const string Base62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string New(string prefix, int length = 16) => prefix + RandomNumberGenerator.GetString(Lower, length);

    /// <summary>A secret of <paramref name="length"/> base62 characters (≈ 5.95 bits each).</summary>
    public static string Secret(int length) => RandomNumberGenerator.GetString(Base62, length);
}
