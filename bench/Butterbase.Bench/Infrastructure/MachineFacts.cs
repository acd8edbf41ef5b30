using System.Runtime;
using System.Runtime.InteropServices;

namespace Butterbase.Bench.Infrastructure;

public static class MachineFacts
{
    public static void Print(TextWriter writer)
    {
        writer.WriteLine($"- machine: {Environment.ProcessorCount} logical cores{Cpu()}, {Environment.OSVersion} ({RuntimeInformation.OSArchitecture}), {TotalMemory()}");
        writer.WriteLine($"- runtime: {RuntimeInformation.FrameworkDescription}, bench GC: {(GCSettings.IsServerGC ? "server" : "workstation")}"
            + $"{(GCSettings.LatencyMode == GCLatencyMode.Interactive ? " concurrent" : "")}, {(IsRelease ? "Release" : "DEBUG (numbers are not representative)")} build");
        writer.WriteLine($"- run at: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, load average at start: {LoadAverage()} (other work on these cores skews every figure)");
    }

    /// <summary>The 1/5/15-minute load averages from /proc/loadavg, or "n/a".</summary>
    public static string LoadAverage()
    {
        try { return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }

    private static bool IsRelease =>
#if DEBUG
        false;
#else
        true;
#endif

    private static string Cpu()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "" : " (" + line[(line.IndexOf(':') + 1)..].Trim() + ")";
        }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    private static string TotalMemory()
    {
        var bytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return $"{bytes / 1024.0 / 1024 / 1024:0.0} GB memory available to .NET";
    }
}
