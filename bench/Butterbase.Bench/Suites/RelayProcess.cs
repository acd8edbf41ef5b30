using System.Diagnostics;
using System.Text.Json;
using Butterbase.Bench.Infrastructure;

namespace Butterbase.Bench.Suites;

/// <summary>
/// `relay`: the minimal relay in a process of its own, like the portal (the child-process half of the execute suite's
/// "relay, own process" path). Prints one JSON line {"address":…} when it listens, then serves until it is killed.
/// </summary>
public sealed class RelayProcess : ISuite
{
    public string Verb => "relay";
    public string Description => "(internal) serve the minimal relay for --target URL with --token T until killed";
    public bool Hidden => true;

    public async Task<int> RunAsync(BenchOptions options, ChildProcesses children)
    {
        var target = options.String("target") ?? throw new BenchException("--target URL is required");
        var token = options.String("token") ?? throw new BenchException("--token is required");
        options.RejectUnknown();
        await using var relay = await MinimalRelay.StartAsync(new Uri(target), token);
        Console.WriteLine(JsonSerializer.Serialize(new { address = relay.BaseAddress.ToString() }));
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    /// <summary>Starts `relay` as a child of this bench (same build, same runtime settings) and waits until it listens.</summary>
    public static async Task<(Process Process, Uri Address)> StartAsync(ChildProcesses children, Uri target, string token)
    {
        var info = new ProcessStartInfo(ChildProcesses.DotnetHost);
        info.ArgumentList.Add(typeof(RelayProcess).Assembly.Location);
        foreach (var a in new[] { "relay", "--target", target.ToString(), "--token", token }) info.ArgumentList.Add(a);
        var child = children.Start(info);
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(30))
        {
            if (child.Process.HasExited) throw new BenchException($"the relay process exited with {child.Process.ExitCode}:{Environment.NewLine}{child.Tail}");
            if (child.StandardOutput.FirstOrDefault(l => l.StartsWith('{')) is { } line)
            {
                using var json = JsonDocument.Parse(line);
                return (child.Process, new Uri(json.RootElement.GetProperty("address").GetString()!));
            }
            await Task.Delay(20);
        }
        throw new BenchException($"the relay process did not start listening within 30 s:{Environment.NewLine}{child.Tail}");
    }
}
