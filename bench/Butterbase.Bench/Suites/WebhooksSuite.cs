using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Butterbase.Bench.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Butterbase.Bench.Suites;

/// <summary>
/// `webhooks` (issue 16): delivery throughput and the lag from an event being committed to the outbox to its receipt at
/// a receiver on 127.0.0.1. Events are `webhook.test` messages queued through `POST /v1/{app}/webhooks/{id}/test` (one
/// outbox commit each, like a connection change); the lag runs from the API's answer (the commit) to the receiver's
/// first sight of that `webhook-id`. Every message must arrive exactly once.
/// </summary>
public sealed class WebhooksSuite : ISuite
{
    public string Verb => "webhooks";
    public string Description => "webhook delivery throughput and p50 lag from commit to receipt (options: --events 1000 --concurrency 16 --portal-dll PATH)";

    public async Task<int> RunAsync(BenchOptions options, ChildProcesses children)
    {
        var events = options.Int("events", 1000);
        var concurrency = options.Int("concurrency", 16);
        var portalDll = PortalHost.ResolvePortalDll(options.String("portal-dll"));
        options.RejectUnknown();

        Console.WriteLine("# Butterbase webhooks benchmark");
        Console.WriteLine();
        MachineFacts.Print(Console.Out);

        var committed = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var received = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long duplicates = 0, lastReceipt = 0;
        var all = new TaskCompletionSource();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var receiver = builder.Build();
        receiver.Run(async http =>
        {
            var now = Stopwatch.GetTimestamp();
            await http.Request.Body.CopyToAsync(Stream.Null);
            var id = http.Request.Headers["webhook-id"].ToString();
            if (!received.TryAdd(id, now)) Interlocked.Increment(ref duplicates);
            Interlocked.Exchange(ref lastReceipt, now);
            if (received.Count >= events) all.TrySetResult();
            http.Response.StatusCode = 204;
        });
        await receiver.StartAsync();
        var url = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks";

        using var host = new PortalHost(children, portalDll);
        var (appId, apiKey) = await host.CreateAppAsync("bench-webhooks");
        await host.StartAsync(TimeSpan.FromSeconds(60));
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 256 }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var created = await client.PostAsync($"v1/{appId}/webhooks",
            new StringContent(JsonSerializer.Serialize(new { url, events = new[] { "webhook.test" } }), Encoding.UTF8, "application/json"));
        if (created.StatusCode != HttpStatusCode.Created) throw new BenchException($"creating the endpoint answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        var endpointId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        Console.Error.WriteLine($"queueing {events} events, {concurrency} at a time");
        var started = Stopwatch.GetTimestamp();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < events)
            {
                using var response = await client.PostAsync($"v1/{appId}/webhooks/{endpointId}/test", null);
                var at = Stopwatch.GetTimestamp();
                if (response.StatusCode != HttpStatusCode.Accepted) throw new BenchException($"POST …/test answered {(int)response.StatusCode}");
                committed[JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("message_id").GetString()!] = at;
            }
        }));
        var queuedMs = Samples.MsSince(started);
        if (await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromMinutes(5))) != all.Task)
            throw new BenchException($"only {received.Count} of {events} events arrived within 5 minutes");
        var totalMs = Samples.Ms(Interlocked.Read(ref lastReceipt) - started);

        var lags = new Samples(events);
        foreach (var (id, at) in committed)
            if (received.TryGetValue(id, out var got)) lags.Add(Math.Max(0, got - at));
        var lag = lags.Summarise();
        var table = new ResultTable();
        table.Info("events queued (POST …/test, one outbox commit each)", $"{events:N0} in {ResultTable.Ms(queuedMs)} ({events / (queuedMs / 1000):N0}/s)");
        table.Info("delivery throughput (first commit → last receipt)", $"{events / (totalMs / 1000):N0} events/s");
        table.Add("lag, commit → receipt", ResultTable.Latency(lag), "p50 < 1 s", lag.P50Ms < 1000);
        table.Check("every event arrived exactly once", $"{received.Count:N0} distinct, {Interlocked.Read(ref duplicates)} duplicates", received.Count == events && duplicates == 0);
        table.Print(Console.Out);
        return table.AllPassed ? 0 : 1;
    }
}
