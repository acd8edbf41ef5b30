using System.Globalization;

namespace Butterbase.Bench.Infrastructure;

public enum Verdict { Pass, Fail, Info }

/// <summary>The report: a markdown table metric | value | goal | pass/fail.</summary>
public sealed class ResultTable
{
    private readonly List<(string Metric, string Value, string Goal, Verdict Verdict)> _rows = [];

    public void Add(string metric, string value, string goal, bool pass) => _rows.Add((metric, value, goal, pass ? Verdict.Pass : Verdict.Fail));

    public void Info(string metric, string value) => _rows.Add((metric, value, "—", Verdict.Info));

    /// <summary>A figure with no goal that must still come out right (e.g. every callback connected): "—", then pass or FAIL.</summary>
    public void Check(string metric, string value, bool ok) => _rows.Add((metric, value, "—", ok ? Verdict.Pass : Verdict.Fail));

    public bool AllPassed => _rows.All(r => r.Verdict != Verdict.Fail);

    public void Print(TextWriter writer)
    {
        string[] header = ["metric", "value", "goal", "pass/fail"];
        var rows = _rows.Select(r => new[] { r.Metric, r.Value, r.Goal, r.Verdict switch { Verdict.Pass => "pass", Verdict.Fail => "**FAIL**", _ => "info" } }).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
        string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";
        writer.WriteLine(Line(header));
        writer.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var row in rows) writer.WriteLine(Line(row));
    }

    public static string Ms(double ms) => ms switch
    {
        >= 1000 => (ms / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s",
        >= 10 => ms.ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => ms.ToString("0.000", CultureInfo.InvariantCulture) + " ms",
    };

    public static string MB(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    public static string Latency(Summary s) => $"p50 {Ms(s.P50Ms)} · p99 {Ms(s.P99Ms)} · mean {Ms(s.MeanMs)} (max {Ms(s.MaxMs)}, n={s.Count:N0})";
}
