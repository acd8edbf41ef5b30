using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Butterbase.Portal.Tests.Catalog;

/// <summary>
/// The rules a tool's parameter schema must meet to be accepted as an OpenAI strict-mode function and an
/// Anthropic tool `input_schema`: root object; every object lists all its properties as required and
/// forbids additional ones; only the supported keywords; `$ref` only into `$defs`; bounded size.
/// </summary>
public static partial class StrictSchemaChecker
{
    private static readonly HashSet<string> Keywords =
    [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$ref", "$defs",
        "description", "title", "format", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minItems", "maxItems",
    ];
    private static readonly HashSet<string> Formats = ["date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"];
    private static readonly HashSet<string> Types = ["string", "number", "integer", "boolean", "object", "array", "null"];

    [GeneratedRegex("^[A-Za-z0-9_.\\-]{1,64}$")] private static partial Regex PropertyName();
    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")] public static partial Regex ToolName();

    public static List<string> Check(JsonObject root)
    {
        var problems = new List<string>();
        if (root["type"]?.GetValue<string>() != "object") problems.Add("root: type must be \"object\"");
        if (root.ContainsKey("anyOf")) problems.Add("root: must not be anyOf");
        var defs = root["$defs"] as JsonObject ?? [];
        var count = 0;
        Walk(root, "#", 0, defs, problems, ref count);
        foreach (var (name, def) in defs)
            if (def is JsonObject d) Walk(d, "#/$defs/" + name, 1, defs, problems, ref count);
        if (count > 5000) problems.Add($"{count} properties in all (max 5000)");
        return problems;
    }

    private static void Walk(JsonObject schema, string at, int depth, JsonObject defs, List<string> problems, ref int count)
    {
        if (depth > 10) { problems.Add($"{at}: nested deeper than 10"); return; }
        foreach (var (key, _) in schema)
            if (!Keywords.Contains(key)) problems.Add($"{at}: keyword '{key}' is not supported in strict mode");

        if (schema["$ref"] is JsonNode r)
        {
            var target = r.GetValue<string>();
            if (!target.StartsWith("#/$defs/") || !defs.ContainsKey(target["#/$defs/".Length..])) problems.Add($"{at}: $ref {target} does not resolve into $defs");
        }
        if (schema["type"] is JsonNode type)
        {
            var names = type is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToList() : [type.GetValue<string>()];
            foreach (var n in names) if (!Types.Contains(n)) problems.Add($"{at}: unknown type {n}");
        }
        if (schema["format"] is JsonNode f && !Formats.Contains(f.GetValue<string>())) problems.Add($"{at}: format {f} not supported");
        if (schema["enum"] is JsonArray e && (e.Count == 0 || e.Count > 1000)) problems.Add($"{at}: enum has {e.Count} values");
        if (schema["additionalProperties"] is JsonNode ap && (ap is not JsonValue v || v.GetValue<bool>())) problems.Add($"{at}: additionalProperties must be false");

        var isObject = schema["type"] is JsonNode t && (t is JsonArray ta ? ta.Any(x => x!.GetValue<string>() == "object") : t.GetValue<string>() == "object");
        if (isObject || schema["properties"] is not null)
        {
            var properties = schema["properties"] as JsonObject;
            if (properties is null) problems.Add($"{at}: object without properties");
            if (schema["additionalProperties"] is null) problems.Add($"{at}: object without additionalProperties: false");
            var required = (schema["required"] as JsonArray)?.Select(x => x!.GetValue<string>()).ToHashSet() ?? [];
            foreach (var (name, child) in properties ?? [])
            {
                count++;
                if (!PropertyName().IsMatch(name)) problems.Add($"{at}: property name '{name}'");
                if (!required.Contains(name)) problems.Add($"{at}: property '{name}' is not in required");
                if (child is JsonObject c) Walk(c, $"{at}/{name}", depth + 1, defs, problems, ref count);
                else problems.Add($"{at}/{name}: not a schema object");
            }
            foreach (var name in required)
                if (properties is not null && !properties.ContainsKey(name)) problems.Add($"{at}: required '{name}' is not a property");
        }
        // Depth counts object nesting (OpenAI's limit is 10 levels); array and anyOf wrappers add none.
        if (schema["items"] is JsonObject items) Walk(items, at + "/items", depth, defs, problems, ref count);
        if (schema["anyOf"] is JsonArray any)
            foreach (var (option, i) in any.Select((o, i) => (o, i)))
                if (option is JsonObject o) Walk(o, $"{at}/anyOf/{i}", depth, defs, problems, ref count);
    }
}
