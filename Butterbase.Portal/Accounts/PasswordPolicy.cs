namespace Butterbase.Portal.Accounts;

/// <summary>
/// Refuses passwords an attacker tries first (docs/security.md [36]): the 10,000 most common ones shipped in
/// Accounts/Data/common-passwords.txt, those same words with digits or symbols tacked on (`password2024!`), and strings of
/// very few distinct characters (`aaaaaaaaaa`, `1212121212`), which no list enumerates but every guesser does.
/// </summary>
public static class PasswordPolicy
{
    private static readonly Lazy<HashSet<string>> Common = new(Load);

    /// <summary>Why the password is refused, in words for the form, or null when it is acceptable.</summary>
    public static string? Problem(string? password)
    {
        if (string.IsNullOrEmpty(password)) return null; // length rules speak for themselves
        if (password.Distinct().Count() < 5) return "Use more different characters: this password is too easy to guess.";
        var lower = password.ToLowerInvariant();
        var stem = lower.TrimEnd("0123456789!@#$%^&*()-_=+.?,;:~ ".ToCharArray());
        var spaced = lower.Replace(" ", "");
        if (Common.Value.Contains(lower) || Common.Value.Contains(spaced) || (stem.Length >= 6 && Common.Value.Contains(stem)))
            return "This password is on a list of common passwords. Choose another.";
        return null;
    }

    private static HashSet<string> Load()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("Butterbase.Portal.Accounts.common-passwords.txt")
            ?? throw new InvalidOperationException("The common-passwords list is not embedded.");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0 && line[0] != '#') set.Add(line);
        return set;
    }
}
