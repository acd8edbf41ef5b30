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
        if (!(IsString(root["type"]) && root["type"]!.GetValue<string>() == "object")) problems.Add("root: type must be \"object\"");
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

        Values(schema, at, problems);
        if (schema["$ref"] is JsonNode r && IsString(r))
        {
            var target = r.GetValue<string>();
            if (!target.StartsWith("#/$defs/") || !defs.ContainsKey(target["#/$defs/".Length..])) problems.Add($"{at}: $ref {target} does not resolve into $defs");
        }
        if (schema["type"] is JsonNode type)
        {
            var names = type is JsonArray a ? a.Where(IsString).Select(x => x!.GetValue<string>()).ToList() : IsString(type) ? [type.GetValue<string>()] : [];
            foreach (var n in names) if (!Types.Contains(n)) problems.Add($"{at}: unknown type {n}");
        }
        if (schema["format"] is JsonNode f && IsString(f) && !Formats.Contains(f.GetValue<string>())) problems.Add($"{at}: format {f} not supported");
        if (schema["enum"] is JsonArray e && (e.Count == 0 || e.Count > 1000)) problems.Add($"{at}: enum has {e.Count} values");
        if (schema["additionalProperties"] is JsonNode ap && (ap is not JsonValue v || v.GetValue<bool>())) problems.Add($"{at}: additionalProperties must be false");

        var isObject = schema["type"] is JsonNode t && (t is JsonArray ta ? ta.Any(x => IsString(x) && x!.GetValue<string>() == "object") : IsString(t) && t.GetValue<string>() == "object");
        if (isObject || schema["properties"] is not null)
        {
            var properties = schema["properties"] as JsonObject;
            if (properties is null) problems.Add($"{at}: object without properties");
            if (schema["additionalProperties"] is null) problems.Add($"{at}: object without additionalProperties: false");
            var required = (schema["required"] as JsonArray)?.Where(IsString).Select(x => x!.GetValue<string>()).ToHashSet() ?? [];
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

    /// <summary>
    /// What the JSON Schema 2020-12 meta-schema asks of the value of each keyword strict mode allows (the vocabularies'
    /// own meta-schemas: core, applicator, validation, meta-data, format-annotation). With the keyword set closed above,
    /// these and the walk are the meta-schema's whole verdict; <c>MetaSchemaAgreementTests</c> holds the two side by side.
    /// </summary>
    private static void Values(JsonObject schema, string at, List<string> problems)
    {
        foreach (var (key, value) in schema)
        {
            var ok = key switch
            {
                "type" => value is JsonValue ? IsString(value) : value is JsonArray a && a.Count > 0 && a.All(IsString) && a.Select(x => x!.GetValue<string>()).Distinct().Count() == a.Count,
                "properties" or "$defs" => value is JsonObject o && o.All(p => p.Value is JsonObject || IsBool(p.Value)),
                "required" => value is JsonArray r && r.All(IsString) && r.Select(x => x!.GetValue<string>()).Distinct().Count() == r.Count,
                "additionalProperties" or "items" => value is JsonObject || IsBool(value),
                "enum" => value is JsonArray,
                "anyOf" => value is JsonArray any && any.Count > 0 && any.All(x => x is JsonObject || IsBool(x)),
                "$ref" or "description" or "title" or "format" or "pattern" => IsString(value),
                "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum" => IsNumber(value),
                "multipleOf" => IsNumber(value) && value!.GetValue<double>() > 0,
                "minItems" or "maxItems" => IsNumber(value) && value!.GetValue<double>() is var n && n >= 0 && n == Math.Floor(n),
                _ => true, // const: any value
            };
            if (!ok) problems.Add($"{at}: '{key}' has a value the JSON Schema 2020-12 meta-schema refuses");
        }
    }

    private static bool IsString(JsonNode? n) => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String;
    private static bool IsNumber(JsonNode? n) => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number;
    private static bool IsBool(JsonNode? n) => n is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False;

    /// <summary>
    /// The schema without what only annotates: string values of `description` and `title` become "" and property names
    /// become p0, p1, … (in `properties` and `required` alike), walking schema positions only, so a property that happens to be named
    /// "description" stays a property. Anything else, a non-string description included, is kept, so the meta-schema's
    /// verdict on the shape is its verdict on the schema.
    /// </summary>
    public static JsonObject Shape(JsonObject schema)
    {
        var copy = new JsonObject();
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in schema)
        {
            switch (key)
            {
                case "description" or "title" when value is JsonValue v && v.TryGetValue<string>(out _):
                    copy[key] = "";
                    break;
                case "properties" when value is JsonObject properties:
                    var shaped = new JsonObject();
                    foreach (var (name, child) in properties)
                    {
                        var alias = renamed[name] = "p" + renamed.Count;
                        shaped[alias] = child is JsonObject c ? Shape(c) : child?.DeepClone();
                    }
                    copy[key] = shaped;
                    break;
                case "$defs" when value is JsonObject defs:
                    var shapedDefs = new JsonObject();
                    foreach (var (name, child) in defs) shapedDefs[name] = child is JsonObject c ? Shape(c) : child?.DeepClone();
                    copy[key] = shapedDefs;
                    break;
                case "items" when value is JsonObject items:
                    copy[key] = Shape(items);
                    break;
                case "anyOf" when value is JsonArray any:
                    copy[key] = new JsonArray(any.Select(o => o is JsonObject c ? (JsonNode)Shape(c) : o?.DeepClone()).ToArray());
                    break;
                default:
                    copy[key] = value?.DeepClone();
                    break;
            }
        }
        if (copy["required"] is JsonArray required)
            copy["required"] = new JsonArray(required.Select(r => r is JsonValue v && v.TryGetValue<string>(out var n) && renamed.TryGetValue(n, out var alias)
                ? (JsonNode)alias : r?.DeepClone()).ToArray());
        return copy;
    }
}
