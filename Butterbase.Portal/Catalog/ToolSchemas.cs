using System.Text.Json.Nodes;

namespace Butterbase.Portal.Catalog;

/// <summary>Builds the parameter schema a client sees: the tool's schema plus the `$defs` it reaches.</summary>
public static class ToolSchemas
{
    public static JsonObject WithDefs(ToolDefinition tool, IReadOnlyDictionary<string, JsonObject> defs)
    {
        var schema = (JsonObject)tool.Parameters.DeepClone();
        var needed = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<JsonNode>([tool.Parameters]);
        while (pending.Count > 0)
        {
            foreach (var name in Refs(pending.Pop()))
                if (needed.Add(name) && defs.TryGetValue(name, out var def))
                    pending.Push(def);
        }
        if (needed.Count > 0)
        {
            var all = new JsonObject();
            foreach (var name in needed)
                if (defs.TryGetValue(name, out var def)) all[name] = def.DeepClone();
            schema["$defs"] = all;
        }
        return schema;
    }

    private static IEnumerable<string> Refs(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref" && value?.GetValue<string>() is { } r && r.StartsWith("#/$defs/", StringComparison.Ordinal))
                        yield return r["#/$defs/".Length..];
                    else foreach (var inner in Refs(value)) yield return inner;
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                    foreach (var inner in Refs(item)) yield return inner;
                break;
        }
    }
}
