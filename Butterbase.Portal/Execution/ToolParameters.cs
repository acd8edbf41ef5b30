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
    private static readonly EvaluationOptions FlagOnly = new() { OutputFormat = OutputFormat.Flag };
    private static readonly EvaluationOptions ListAll = new() { OutputFormat = OutputFormat.List };
    private readonly ConcurrentDictionary<string, Compiled> _schemas = new();

    /// <summary>The most details an invalid call is answered (and logged) with; the last one says how many more there were.</summary>
    public const int MaxDetails = 50;

    /// <summary>A tool's schema: the strict-subset checker when the schema allows one, and JsonSchema.Net's, built on first need.</summary>
    private sealed class Compiled(JsonObject schema)
    {
        public StrictSchema? Strict { get; } = StrictSchema.Compile(schema);
        private JsonSchema? _full;
        public JsonSchema Full => _full ??= JsonSchema.FromText(schema.ToJsonString());
    }

    public (JsonObject? Params, IReadOnlyList<ApiErrorDetail> Problems) Validate(Toolkit toolkit, ToolDefinition tool, JsonElement? input)
    {
        if (input is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null) })
            return (null, [new ApiErrorDetail("params", "params must be a JSON object.")]);
        var given = input is { ValueKind: JsonValueKind.Object } o ? JsonNode.Parse(o.GetRawText())!.AsObject() : new JsonObject();
        FillOptional(given, tool.Parameters, catalog.ToolsOf(toolkit).Defs, depth: 0);

        var compiled = _schemas.GetOrAdd(tool.Name, _ => new Compiled(ToolSchemas.WithDefs(tool, catalog.ToolsOf(toolkit).Defs)));
        // Valid calls are the common case: the strict-subset checker accepts most of them without JsonSchema.Net; what it
        // is not sure of, JsonSchema.Net's flag format decides (it stops at the first failure and collects nothing). Only
        // an invalid call is evaluated again with every failure listed, for the per-field details.
        if (compiled.Strict?.Accepts(given) == true) return (given, []);
        var instance = JsonSerializer.SerializeToElement<JsonNode>(given);
        EvaluationResults result;
        try
        {
            if (compiled.Full.Evaluate(instance, FlagOnly).IsValid) return (given, []);
            result = compiled.Full.Evaluate(instance, ListAll);
        }
        // JsonSchema.Net compares numbers in an enum as decimals and throws on one a decimal cannot hold (`1e400`): the
        // caller's number, answered as their error instead of a 500.
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            return (null, [new ApiErrorDetail("params", "A number in params is too large or too precise to check against the tool's schema.")]);
        }

        // A caller can send ~90,000 unknown parameters in the API's 1 MB: the details are de-duplicated through a set (a
        // scan of the list so far took a core for over a minute) and cut at MaxDetails, the last saying how many more.
        var problems = new List<ApiErrorDetail>();
        var seen = new HashSet<(string Field, string Text)>();
        var more = 0;
        foreach (var detail in result.Details ?? [])
        {
            if (detail.Errors is not { Count: > 0 } errors) continue;
            var field = detail.InstanceLocation.ToString().TrimStart('/').Replace('/', '.');
            // JsonSchema.Net 8 reports an unknown property as the `false` schema's error ("All values fail against the
            // false schema") under the additionalProperties keyword's path, not under that keyword's name.
            var unknown = detail.EvaluationPath.ToString().EndsWith("/additionalProperties", StringComparison.Ordinal);
            foreach (var (keyword, message) in errors)
            {
                var text = unknown || keyword == "additionalProperties" ? "Unknown parameter: this tool does not take it." : message;
                if (keyword == "required") { field = RequiredField(message) ?? field; text = "This parameter is required."; }
                if (!seen.Add((field, text))) continue;
                if (problems.Count < MaxDetails) problems.Add(new ApiErrorDetail(field.Length == 0 ? "params" : field, text));
                else more++;
            }
        }
        if (more > 0) problems[^1] = new ApiErrorDetail("params", $"{more + 1} more problems like these; fix the ones above and send again.");
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

    /// <summary>Optional properties left out are read as null, at every depth the schema describes.</summary>
    internal static void FillOptional(JsonObject value, JsonObject schema, IReadOnlyDictionary<string, JsonObject> defs, int depth)
    {
        if (depth > 10 || schema["properties"] is not JsonObject properties) return;
        foreach (var (name, property) in properties)
        {
            if (!value.ContainsKey(name)) { if (AllowsNull(property)) value[name] = null; continue; }
            switch (value[name])
            {
                case JsonObject child when ObjectSchema(property, defs) is { } childSchema:
                    FillOptional(child, childSchema, defs, depth + 1);
                    break;
                case JsonArray items when property is JsonObject p && ItemsSchema(p, defs) is { } itemSchema:
                    foreach (var item in items.OfType<JsonObject>()) FillOptional(item, itemSchema, defs, depth + 1);
                    break;
            }
        }
    }

    private static JsonObject? ObjectSchema(JsonNode? schema, IReadOnlyDictionary<string, JsonObject> defs) => schema switch
    {
        JsonObject s when s["$ref"]?.GetValue<string>() is { } r && r.StartsWith("#/$defs/") => defs.GetValueOrDefault(r["#/$defs/".Length..]),
        JsonObject s when s["properties"] is JsonObject => s,
        JsonObject s when s["anyOf"] is JsonArray any => any.Select(a => ObjectSchema(a, defs)).FirstOrDefault(x => x is not null),
        _ => null,
    };

    private static JsonObject? ItemsSchema(JsonObject schema, IReadOnlyDictionary<string, JsonObject> defs) =>
        schema["items"] is JsonNode items ? ObjectSchema(items, defs)
        : schema["anyOf"] is JsonArray any ? any.OfType<JsonObject>().Select(a => ItemsSchema(a, defs)).FirstOrDefault(x => x is not null)
        : null;

    private static bool AllowsNull(JsonNode? schema) => schema switch
    {
        JsonObject s when s["type"] is JsonArray types => types.Any(t => t?.GetValue<string>() == "null"),
        JsonObject s when s["type"] is JsonValue type => type.GetValue<string>() == "null",
        JsonObject s when s["anyOf"] is JsonArray any => any.Any(AllowsNull),
        _ => false,
    };
    /// <summary>
    /// The JSON reader accepts malformed UTF-8 inside strings and escaped lone surrogates (`"\ud800"`); they fail only
    /// when read as text, after validation, as a 500. Every name and string is read once here instead (params are small).
    /// </summary>
    internal static bool IsValidUnicode(JsonElement element, int depth = 0)
    {
        if (depth > 64) return true; // the schema validation bounds depth; deeper is not text we read
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        if (!IsValidUnicode(property.Value, depth + 1)) return false;
                    }
                    return true;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                        if (!IsValidUnicode(item, depth + 1)) return false;
                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException) { return false; }
    }

}
