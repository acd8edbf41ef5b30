using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Butterbase.Portal.Functions;

/// <summary>
/// The deploy-time check of a handler: Deno's own parser (through `deno lint` and Runtime/shape-lint.js) reads the code
/// as the runtime will (TypeScript types stripped), without running it, and reports syntax errors with their line and
/// column, imports (everything a handler may use arrives in ctx) and a missing default export.
/// </summary>
public sealed partial class FunctionCodeCheck(FunctionWorkerPool pool, ILogger<FunctionCodeCheck> logger)
{
    private readonly SemaphoreSlim _concurrent = new(2, 2);

    /// <summary>Why the code cannot be deployed, or null.</summary>
    public async Task<string?> ProblemAsync(string code, CancellationToken ct)
    {
        await _concurrent.WaitAsync(ct);
        var dir = Path.Combine(Path.GetTempPath(), "butterbase-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(dir);
            var file = Path.Combine(dir, "handler.ts");
            await File.WriteAllTextAsync(file, code, ct);
            var start = pool.DenoStartInfo(dir, ["lint", "--json", "--config", pool.LintConfig, file]);
            start.RedirectStandardInput = false;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var errors = process.StandardError.ReadToEndAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return "The code could not be checked in time; try again.";
            }
            return Read(await output, await errors);
        }
        finally
        {
            _concurrent.Release();
            try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private string? Read(string output, string errors)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(output).RootElement; }
        catch (JsonException)
        {
            logger.LogError("The function code check gave no result: {Errors}", errors.Length > 500 ? errors[..500] : errors);
            throw new InvalidOperationException("The function code check did not run (see the log).");
        }
        foreach (var error in root.GetProperty("errors").EnumerateArray())
        {
            var message = error.GetProperty("message").GetString() ?? "";
            var place = Place().Match(message);
            var first = message.Split('\n')[0];
            return place.Success ? $"{first} (line {place.Groups[1].Value}, column {place.Groups[2].Value})" : first;
        }
        foreach (var diagnostic in root.GetProperty("diagnostics").EnumerateArray())
        {
            var line = diagnostic.GetProperty("range").GetProperty("start").GetProperty("line").GetInt32();
            return diagnostic.GetProperty("message").GetString() switch
            {
                "import" => $"Imports are not available to functions (line {line}): everything a handler can use arrives in ctx (ctx.integrations, ctx.env, ctx.body).",
                "no-default" => "Export the handler as the module's default: `export default async function handler(ctx) { … }`.",
                var other => $"{other} (line {line})",
            };
        }
        return null;
    }

    [GeneratedRegex(@"handler\.ts:(\d+):(\d+)")]
    private static partial Regex Place();
}
