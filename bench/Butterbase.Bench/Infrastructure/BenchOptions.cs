using System.Globalization;

namespace Butterbase.Bench.Infrastructure;

/// <summary>`--key value` and bare `--flag` options after the verb.</summary>
public sealed class BenchOptions
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new BenchException($"unexpected argument '{args[i]}'; options look like --key value");
            var key = args[i][2..];
            var value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            options._values[key] = value;
        }
        return options;
    }

    public int Int(string key, int fallback)
    {
        _read.Add(key);
        if (!_values.TryGetValue(key, out var text)) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new BenchException($"--{key} needs a positive whole number");
    }

    public string? String(string key)
    {
        _read.Add(key);
        return _values.GetValueOrDefault(key);
    }

    public bool Flag(string key)
    {
        _read.Add(key);
        return _values.ContainsKey(key);
    }

    /// <summary>Call after reading every option: a typo should fail loudly, not silently run the defaults.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0) throw new BenchException($"unknown option(s): {string.Join(", ", unknown.Select(k => "--" + k))}");
    }
}
