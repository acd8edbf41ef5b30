using System.Diagnostics;

namespace Butterbase.Bench.Infrastructure;

/// <summary>Durations in Stopwatch ticks (from <see cref="Stopwatch.GetTimestamp"/>), summarised in milliseconds.</summary>
public sealed class Samples(int capacity)
{
    private readonly long[] _ticks = new long[capacity];
    public int Count { get; private set; }

    public void Add(long ticks) => _ticks[Count++] = ticks;

    public Summary Summarise()
    {
        if (Count == 0) throw new BenchException("no samples were taken");
        var sorted = _ticks.AsSpan(0, Count).ToArray();
        Array.Sort(sorted);
        return new Summary(Count, Ms(Percentile(sorted, 50)), Ms(Percentile(sorted, 99)), Ms(sorted.Average()), Ms(sorted[^1]));
    }

    /// <summary>Nearest-rank percentile.</summary>
    private static long Percentile(long[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    public static double Ms(double ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public static double MsSince(long start) => Ms(Stopwatch.GetTimestamp() - start);
}

public sealed record Summary(int Count, double P50Ms, double P99Ms, double MeanMs, double MaxMs);

public static class Median
{
    public static double Of(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
