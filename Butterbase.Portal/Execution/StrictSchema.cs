using System.Text.Json;
using System.Text.Json.Nodes;

namespace Butterbase.Portal.Execution;

/// <summary>
/// A checker for the small part of JSON Schema the catalog's strict-mode tool schemas use (type, properties, required,
/// additionalProperties: false, anyOf, $ref into $defs, items, enum, minimum/maximum, minItems/maxItems; descriptions are
/// annotations), compiled once per tool. It answers only "surely valid": anything it does not fully decide (a missing
/// property, an unknown one, a value out of range, a string under a pattern or a format, a number written with a
/// fraction where an integer is asked for, …) is "not sure", and JsonSchema.Net then decides and explains, as before. A
/// schema with any other keyword is not compiled at all (<see cref="Compile"/> answers null) and always goes to
/// JsonSchema.Net. Why: JsonSchema.Net's evaluation, with the round trip from the filled <see cref="JsonObject"/> to a
/// JsonElement it needs, was about a tenth of the portal's CPU per execute under load (docs/architecture.md "Execute");
/// StrictSchemaTests checks on catalog schemas that whatever this accepts, JsonSchema.Net accepts too.
/// </summary>
public sealed class StrictSchema
{
    private static readonly HashSet<string> Annotations = ["description", "title", "examples", "default", "deprecated", "readOnly", "writeOnly", "$comment"];
    private const int MaxDepth = 32;

    [Flags]
    private enum Kinds { None = 0, Null = 1, Boolean = 2, Integer = 4, Number = 8, String = 16, Array = 32, Object = 64, Any = 127 }

    private Kinds _kinds = Kinds.Any;
    private Dictionary<string, StrictSchema>? _properties;
    private string[] _required = [];
    private bool _closed;
    private StrictSchema[]? _anyOf;
    private StrictSchema? _items;
    private JsonNode?[]? _enum;
    private decimal? _minimum, _maximum, _exclusiveMinimum, _exclusiveMaximum;
    private int? _minItems, _maxItems;
    private string? _ref;
    private Dictionary<string, StrictSchema>? _defs;
    private bool _unsure;

    private StrictSchema() { }

    /// <summary>The checker for a tool's schema (with its `$defs` at the root), or null when it uses anything beyond the subset.</summary>
    public static StrictSchema? Compile(JsonObject schema)
    {
        var defs = new Dictionary<string, StrictSchema>(StringComparer.Ordinal);
        if (schema["$defs"] is JsonObject defined)
        {
            foreach (var (name, _) in defined) defs[name] = new StrictSchema();
            foreach (var (name, def) in defined)
                if (def is not JsonObject d || !Fill(defs[name], d, defs, root: false)) return null;
        }
        var compiled = new StrictSchema();
        return Fill(compiled, schema, defs, root: true) ? compiled : null;
    }

    private static StrictSchema? Child(JsonNode? node, Dictionary<string, StrictSchema> defs)
    {
        if (node is not JsonObject schema) return null;
        var child = new StrictSchema();
        return Fill(child, schema, defs, root: false) ? child : null;
    }

    private static bool Fill(StrictSchema s, JsonObject schema, Dictionary<string, StrictSchema> defs, bool root)
    {
        foreach (var (keyword, value) in schema)
        {
            switch (keyword)
            {
                case "$defs" when root:
                    break;
                case "$ref" when value is JsonValue r && r.TryGetValue<string>(out var target) && target.StartsWith("#/$defs/", StringComparison.Ordinal)
                                 && defs.ContainsKey(target["#/$defs/".Length..]):
                    s._ref = target["#/$defs/".Length..];
                    s._defs = defs;
                    break;
                case "type" when value is JsonValue one && one.TryGetValue<string>(out var name):
                    s._kinds = KindOf(name);
                    if (s._kinds == Kinds.None) return false;
                    break;
                case "type" when value is JsonArray many:
                    s._kinds = Kinds.None;
                    foreach (var item in many)
                    {
                        var kind = item is JsonValue v && v.TryGetValue<string>(out var n) ? KindOf(n) : Kinds.None;
                        if (kind == Kinds.None) return false;
                        s._kinds |= kind;
                    }
                    break;
                case "properties" when value is JsonObject properties:
                    s._properties = new Dictionary<string, StrictSchema>(StringComparer.Ordinal);
                    foreach (var (property, sub) in properties)
                        if (Child(sub, defs) is { } compiled) s._properties[property] = compiled;
                        else return false;
                    break;
                case "required" when value is JsonArray required:
                    var names = new List<string>();
                    foreach (var item in required)
                        if (item is JsonValue v && v.TryGetValue<string>(out var n)) names.Add(n);
                        else return false;
                    s._required = [.. names];
                    break;
                case "additionalProperties" when value is JsonValue b && b.TryGetValue<bool>(out var allowed):
                    s._closed = !allowed;
                    break;
                case "anyOf" when value is JsonArray any && any.Count > 0:
                    var branches = new List<StrictSchema>();
                    foreach (var branch in any)
                        if (Child(branch, defs) is { } compiled) branches.Add(compiled);
                        else return false;
                    s._anyOf = [.. branches];
                    break;
                case "items" when Child(value, defs) is { } items:
                    s._items = items;
                    break;
                case "enum" when value is JsonArray values:
                    s._enum = [.. values];
                    break;
                case "minimum" when Number(value) is { } min: s._minimum = min; break;
                case "maximum" when Number(value) is { } max: s._maximum = max; break;
                case "exclusiveMinimum" when Number(value) is { } xmin: s._exclusiveMinimum = xmin; break;
                case "exclusiveMaximum" when Number(value) is { } xmax: s._exclusiveMaximum = xmax; break;
                case "minItems" when Number(value) is { } least && least == decimal.Truncate(least) && least >= 0: s._minItems = (int)Math.Min(least, int.MaxValue); break;
                case "maxItems" when Number(value) is { } most && most == decimal.Truncate(most) && most >= 0: s._maxItems = (int)Math.Min(most, int.MaxValue); break;
                // Decided by JsonSchema.Net every time (a regular expression's dialect and each format's grammar are its own; it
                // asserts formats): compiled, but a string under either is never "surely valid" here.
                case "pattern" or "format" when value is JsonValue p && p.TryGetValue<string>(out _):
                    s._unsure = true;
                    break;
                default:
                    if (!Annotations.Contains(keyword)) return false;
                    break;
            }
        }
        return true;
    }

    private static Kinds KindOf(string name) => name switch
    {
        "null" => Kinds.Null,
        "boolean" => Kinds.Boolean,
        "integer" => Kinds.Integer,
        "number" => Kinds.Number | Kinds.Integer,
        "string" => Kinds.String,
        "array" => Kinds.Array,
        "object" => Kinds.Object,
        _ => Kinds.None,
    };

    /// <summary>A bound, when its JSON text is exactly a decimal; otherwise null (the keyword is then not compiled).</summary>
    private static decimal? Number(JsonNode? node) => node is JsonValue v && Exact(v, out var d) ? d : null;

    /// <summary>
    /// The number as a decimal, only when that is exact: the decimal written back is the JSON text (so no exponent, at most
    /// 28 decimal places, no digits rounded away). JsonSchema.Net compares the numbers' text exactly; `-1e-40` or
    /// `1.000…001` read as a decimal would land on a bound and pass a range check it fails.
    /// </summary>
    private static bool Exact(JsonValue value, out decimal number)
    {
        number = 0;
        return value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<JsonElement>(out var element)
            && element.TryGetDecimal(out number)
            && element.GetRawText() == number.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>True only when the instance surely matches the schema; false means "not sure" (ask JsonSchema.Net), not "invalid".</summary>
    public bool Accepts(JsonNode? instance) => Accepts(instance, 0);

    private bool Accepts(JsonNode? instance, int depth)
    {
        if (depth > MaxDepth) return false;
        if (_ref is not null && !_defs![_ref].Accepts(instance, depth + 1)) return false;
        if (_anyOf is not null)
        {
            var any = false;
            foreach (var branch in _anyOf)
                if (branch.Accepts(instance, depth + 1)) { any = true; break; }
            if (!any) return false;
        }
        if (_enum is not null && !InEnum(instance)) return false;

        switch (instance)
        {
            case null:
                return (_kinds & Kinds.Null) != 0;
            case JsonObject obj:
                if ((_kinds & Kinds.Object) == 0) return false;
                foreach (var (name, value) in obj)
                {
                    if (_properties is not null && _properties.TryGetValue(name, out var property))
                    {
                        if (!property.Accepts(value, depth + 1)) return false;
                    }
                    else if (_closed) return false;
                }
                foreach (var name in _required)
                    if (!obj.ContainsKey(name)) return false;
                return true;
            case JsonArray array:
                if ((_kinds & Kinds.Array) == 0) return false;
                if (array.Count < _minItems || array.Count > _maxItems) return false;
                if (_items is not null)
                    foreach (var item in array)
                        if (!_items.Accepts(item, depth + 1)) return false;
                return true;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        return (_kinds & Kinds.String) != 0 && !_unsure;
                    case JsonValueKind.True or JsonValueKind.False:
                        return (_kinds & Kinds.Boolean) != 0;
                    case JsonValueKind.Number:
                        // An integer only as an integer literal (`2`, not `2.0` or `2e0`: those JsonSchema.Net decides).
                        var integer = value.TryGetValue<long>(out _);
                        if ((_kinds & Kinds.Number) == 0 && !((_kinds & Kinds.Integer) != 0 && integer)) return false;
                        if (_minimum is null && _maximum is null && _exclusiveMinimum is null && _exclusiveMaximum is null) return true;
                        if (!Exact(value, out var number)) return false;
                        return !(number < _minimum || number > _maximum || number <= _exclusiveMinimum || number >= _exclusiveMaximum);
                    default:
                        return false;
                }
            default:
                return false;
        }
    }

    /// <summary>Strings, booleans and null are compared; other enum values (numbers, objects) are left to JsonSchema.Net.</summary>
    private bool InEnum(JsonNode? instance)
    {
        foreach (var allowed in _enum!)
        {
            if (allowed is null) { if (instance is null) return true; continue; }
            if (instance is not JsonValue value || allowed is not JsonValue option) continue;
            var kind = value.GetValueKind();
            if (kind != option.GetValueKind()) continue;
            switch (kind)
            {
                case JsonValueKind.String when value.GetValue<string>() == option.GetValue<string>():
                case JsonValueKind.True:
                case JsonValueKind.False:
                    return true;
            }
        }
        return false;
    }
}
