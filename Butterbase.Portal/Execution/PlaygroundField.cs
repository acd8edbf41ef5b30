using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;

namespace Butterbase.Portal.Execution;

/// <summary>One input of the Playground's form, derived from a tool parameter's schema.</summary>
public sealed class PlaygroundField
{
    public required string Name { get; init; }
    public required string Kind { get; init; } // text | number | boolean | choice | json
    public required bool Required { get; init; }
    public string Description { get; init; } = "";
    public IReadOnlyList<string> Choices { get; init; } = [];
    public string? Value { get; set; }
    public bool? Flag { get; set; }
    public string? Error { get; set; }

    public static List<PlaygroundField> For(ToolDefinition tool) =>
        ParameterRow.For(tool).Select(row =>
        {
            var schema = tool.Parameters["properties"]![row.Name]!.AsObject();
            var types = TypesOf(schema);
            var choices = EnumOf(schema);
            var kind = tool.Json?.Contains(row.Name) == true || types.Overlaps(["object", "array"]) || schema["$ref"] is not null ? "json"
                : choices.Count > 0 ? "choice"
                : types.Contains("boolean") ? "boolean"
                : types.Overlaps(["integer", "number"]) ? "number"
                : "text";
            return new PlaygroundField { Name = row.Name, Kind = kind, Required = row.Required, Description = row.Description, Choices = choices };
        }).ToList();

    private static HashSet<string> TypesOf(JsonObject schema) => schema["type"] switch
    {
        JsonArray a => a.Select(t => t!.GetValue<string>()).ToHashSet(),
        JsonValue v => [v.GetValue<string>()],
        _ => schema["anyOf"] is JsonArray any ? any.OfType<JsonObject>().SelectMany(TypesOf).ToHashSet() : [],
    };

    private static List<string> EnumOf(JsonObject schema) =>
        (schema["enum"] as JsonArray ?? (schema["anyOf"] as JsonArray)?.OfType<JsonObject>().Select(o => o["enum"] as JsonArray).FirstOrDefault(e => e is not null))
        ?.Where(v => v is not null).Select(v => v!.ToJsonString().Trim('"')).ToList() ?? [];

    /// <summary>The parameters as JSON, or false with <see cref="Error"/> set on the fields that could not be read.</summary>
    public static bool TryBuild(IEnumerable<PlaygroundField> fields, out JsonObject parameters)
    {
        parameters = new JsonObject();
        var ok = true;
        foreach (var field in fields)
        {
            field.Error = null;
            if (field.Kind == "boolean") { if (field.Flag is { } flag) parameters[field.Name] = flag; continue; }
            if (string.IsNullOrWhiteSpace(field.Value))
            {
                if (field.Required) { field.Error = "Required."; ok = false; }
                continue;
            }
            switch (field.Kind)
            {
                case "number" when decimal.TryParse(field.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number):
                    parameters[field.Name] = number;
                    break;
                case "number":
                    field.Error = "Enter a number."; ok = false;
                    break;
                case "json":
                    try { parameters[field.Name] = JsonNode.Parse(field.Value); }
                    catch (System.Text.Json.JsonException) { field.Error = "Enter valid JSON."; ok = false; }
                    break;
                default:
                    parameters[field.Name] = field.Value;
                    break;
            }
        }
        return ok;
    }
}
