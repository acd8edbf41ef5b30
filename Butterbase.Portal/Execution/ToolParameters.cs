using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Json.Schema;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Checks a call's `params` against the tool's JSON Schema before anything reaches a provider.
/// Schemas are strict-mode (every property listed as required, optional ones nullable), so an
/// optional parameter the caller left out is read as null first.
/// </summary>
public sealed class ToolParameters(ToolkitCatalog catalog)
{
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new();

    public (JsonObject? Params, IReadOnlyList<ApiErrorDetail> Problems) Validate(Toolkit toolkit, ToolDefinition tool, JsonElement? input)
    {
        if (input is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null) })
            return (null, [new ApiErrorDetail("params", "params must be a JSON object.")]);
        var given = input is { ValueKind: JsonValueKind.Object } o ? JsonNode.Parse(o.GetRawText())!.AsObject() : new JsonObject();
        var properties = tool.Parameters["properties"]?.AsObject() ?? [];
        foreach (var (name, schema) in properties)
            if (!given.ContainsKey(name) && AllowsNull(schema)) given[name] = null;

        var compiled = _schemas.GetOrAdd(tool.Name, _ => JsonSchema.FromText(ToolSchemas.WithDefs(tool, catalog.ToolsOf(toolkit).Defs).ToJsonString()));
        using var document = JsonDocument.Parse(given.ToJsonString());
        var result = compiled.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return (given, []);

        var problems = new List<ApiErrorDetail>();
        foreach (var detail in result.Details ?? [])
        {
            if (detail.Errors is not { Count: > 0 } errors) continue;
            var field = detail.InstanceLocation.ToString().TrimStart('/').Replace('/', '.');
            foreach (var (keyword, message) in errors)
            {
                var text = keyword == "additionalProperties" ? "Unknown parameter: this tool does not take it." : message;
                if (keyword == "required") { field = RequiredField(message) ?? field; text = "This parameter is required."; }
                if (problems.All(p => p.Field != field || p.Message != text)) problems.Add(new ApiErrorDetail(field.Length == 0 ? "params" : field, text));
            }
        }
        if (problems.Count == 0) problems.Add(new ApiErrorDetail("params", "The parameters do not match the tool's schema."));
        return (null, problems);
    }

    private static string? RequiredField(string message)
    {
        // JsonSchema.Net: 'Required properties ["to"] are not present'
        var start = message.IndexOf("[\"", StringComparison.Ordinal);
        var end = message.IndexOf("\"]", StringComparison.Ordinal);
        return start >= 0 && end > start ? message[(start + 2)..end].Split("\",\"")[0] : null;
    }

    private static bool AllowsNull(JsonNode? schema) => schema switch
    {
        JsonObject s when s["type"] is JsonArray types => types.Any(t => t?.GetValue<string>() == "null"),
        JsonObject s when s["type"] is JsonValue type => type.GetValue<string>() == "null",
        JsonObject s when s["anyOf"] is JsonArray any => any.Any(AllowsNull),
        _ => false,
    };
}
