using System.Text.Json.Nodes;

namespace Butterbase.Portal.Catalog;

/// <summary>A tool's top-level parameters as rows a person can read: name, type, required, where it goes.</summary>
public sealed record ParameterRow(string Name, string Type, bool Required, string Location, string Description)
{
    public static List<ParameterRow> For(ToolDefinition tool)
    {
        var rows = new List<ParameterRow>();
        foreach (var (name, node) in tool.Parameters["properties"]?.AsObject() ?? [])
        {
            if (node is not JsonObject schema) continue;
            var (type, nullable) = Describe(schema);
            if (tool.Json?.Contains(name) == true) type = "JSON (as a string)";
            rows.Add(new ParameterRow(name, type, !nullable, tool.In.GetValueOrDefault(name, "body"),
                schema["description"]?.GetValue<string>() ?? ""));
        }
        return rows.OrderByDescending(r => r.Required).ToList();
    }

    private static (string Type, bool Nullable) Describe(JsonObject schema)
    {
        if (schema["anyOf"] is JsonArray options)
        {
            var parts = options.OfType<JsonObject>().Select(Describe).ToList();
            var named = parts.Select(p => p.Type).Where(t => t != "null").Distinct().ToList();
            return (string.Join(" or ", named), parts.Any(p => p.Type == "null" || p.Nullable));
        }
        if (schema["$ref"]?.GetValue<string>() is { } r) return (r.Split('/').Last(), false);

        var types = schema["type"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
            JsonValue v => [v.GetValue<string>()],
            _ => ["any"],
        };
        var nullable = types.Remove("null");
        var type = string.Join(" or ", types);
        if (type == "array" && schema["items"] is JsonObject items) type = $"array of {Describe(items).Type}";
        if (schema["enum"] is JsonArray values)
        {
            var shown = values.Where(v => v is not null).Take(6).Select(v => v!.ToJsonString().Trim('"')).ToList();
            type = $"one of {string.Join(", ", shown)}{(values.Count > 6 ? ", …" : "")}";
        }
        if (schema["format"]?.GetValue<string>() is { } format) type += $" ({format})";
        return (type.Length == 0 ? "null" : type, nullable);
    }
}
