using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Execution;
using Json.Schema;
using Xunit.Abstractions;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// The strict-subset checker answers "surely valid" only where JsonSchema.Net agrees: checked on the catalog's own schemas
/// (every curated tool and a spread of generated ones) with a valid call built from each schema and calls broken one way
/// at a time (a wrong type, an unknown parameter, a value out of its enum or range, a fraction for an integer, …).
/// </summary>
public sealed class StrictSchemaTests(ITestOutputHelper output)
{
    private static readonly EvaluationOptions Flag = new() { OutputFormat = OutputFormat.Flag };

    [Fact]
    public void On_catalog_schemas_whatever_the_checker_accepts_JsonSchema_Net_accepts_and_it_decides_most_valid_calls_alone()
    {
        var catalog = new ToolkitCatalog();
        var tools = catalog.Toolkits.SelectMany(t => catalog.ToolsOf(t).Tools.Select((tool, i) => (Toolkit: t, Tool: tool, Index: i)))
            .Where(x => x.Tool.Origin == "curated" || x.Index % 23 == 0).ToList();
        int compiled = 0, valid = 0, samples = 0, decidedAlone = 0, invalid = 0, calls = 0;
        var wrong = new List<string>();
        var undecided = new List<string>();
        foreach (var (toolkit, tool, _) in tools)
        {
            var defs = catalog.ToolsOf(toolkit).Defs;
            var schema = ToolSchemas.WithDefs(tool, defs);
            var strict = StrictSchema.Compile(schema);
            if (strict is null) continue;
            compiled++;
            var full = JsonSchema.FromText(schema.ToJsonString());
            var sample = (JsonObject)Sample(tool.Parameters, defs, 0)!;
            foreach (var call in Broken(sample, tool.Parameters, defs).Prepend(sample))
            {
                calls++;
                var given = JsonNode.Parse(call.ToJsonString())!.AsObject(); // as the API reads a call: values backed by JSON text
                ToolParameters.FillOptional(given, tool.Parameters, defs, depth: 0);
                var accepted = strict.Accepts(given);
                var isValid = Valid(full, given);
                if (accepted && !isValid) wrong.Add($"{tool.Name}: {given.ToJsonString()}");
                if (isValid) valid++;
                else invalid++;
                // The sample is a plain valid call; of the broken ones, a few are valid in ways left to JsonSchema.Net (2.0, 1e400).
                if (isValid && ReferenceEquals(call, sample)) { samples++; if (accepted) decidedAlone++; else if (undecided.Count < 15) undecided.Add($"{tool.Name}: {given.ToJsonString()}"); }
            }
        }
        output.WriteLine($"{tools.Count} tools, {compiled} compiled; {calls} calls: {valid} valid, {invalid} invalid; of {samples} valid samples {decidedAlone} decided without JsonSchema.Net");
        Assert.True(wrong.Count == 0, "Accepted, but JsonSchema.Net refuses:\n" + string.Join("\n", wrong.Take(20)));
        Assert.True(tools.Count > 2_000, $"only {tools.Count} tools sampled");
        Assert.True(compiled >= tools.Count * 0.95, $"only {compiled} of {tools.Count} schemas compiled");
        Assert.True(invalid > 10_000, $"only {invalid} invalid calls tried");
        Assert.True(decidedAlone >= samples * 0.9, $"only {decidedAlone} of {samples} valid samples decided without JsonSchema.Net, e.g.:\n" + string.Join("\n", undecided));
    }

    [Theory]
    [InlineData("""{"n":2}""", true)]
    [InlineData("""{"n":2.0}""", false)] // an integer JsonSchema.Net decides (it accepts it)
    [InlineData("""{"n":2.5}""", false)]
    [InlineData("""{"n":0}""", false)] // below the minimum
    [InlineData("""{"n":"2"}""", false)]
    [InlineData("""{"n":null}""", true)]
    [InlineData("""{"n":2,"extra":1}""", false)]
    [InlineData("""{}""", false)] // required, and not filled in: only ToolParameters fills
    public void Integers_ranges_unknown_and_missing_parameters_are_never_accepted_wrongly(string call, bool accepted)
    {
        var schema = JsonNode.Parse("""{"type":"object","properties":{"n":{"type":["integer","null"],"minimum":1}},"required":["n"],"additionalProperties":false}""")!.AsObject();
        Assert.Equal(accepted, StrictSchema.Compile(schema)!.Accepts(JsonNode.Parse(call)));
    }

    /// <summary>JsonSchema.Net's verdict as ToolParameters reads it: a number it throws on (`1e400` in a numeric enum) is invalid.</summary>
    private static bool Valid(JsonSchema full, JsonObject given)
    {
        try { return full.Evaluate(JsonSerializer.SerializeToElement<JsonNode>(given), Flag).IsValid; }
        catch (Exception e) when (e is FormatException or OverflowException) { return false; }
    }

    [Theory]
    [InlineData("0.5", true)]
    [InlineData("1", true)]
    [InlineData("-1e-40", false)] // a decimal would read 0 and pass the minimum; JsonSchema.Net compares the text exactly
    [InlineData("-0.00000000000000000000000000000001", false)]
    [InlineData("1.00000000000000000000000000001", false)] // rounds onto the maximum as a decimal
    [InlineData("1.01", false)]
    public void A_number_is_range_checked_only_when_its_text_is_exactly_a_decimal(string number, bool accepted)
    {
        var schema = JsonNode.Parse("""{"type":"object","properties":{"x":{"type":"number","minimum":0,"maximum":1}},"required":["x"],"additionalProperties":false}""")!.AsObject();
        Assert.Equal(accepted, StrictSchema.Compile(schema)!.Accepts(JsonNode.Parse($$"""{"x":{{number}}}""")));
        var full = JsonSchema.FromText(schema.ToJsonString());
        if (accepted) Assert.True(full.Evaluate(JsonDocument.Parse($$"""{"x":{{number}}}""").RootElement, Flag).IsValid);
    }

    [Fact]
    public void A_string_with_a_pattern_or_a_format_is_left_to_JsonSchema_Net_and_an_unknown_keyword_is_not_compiled()
    {
        var patterned = JsonNode.Parse("""{"type":"object","properties":{"s":{"type":"string","pattern":"^a"}},"required":["s"],"additionalProperties":false}""")!.AsObject();
        Assert.False(StrictSchema.Compile(patterned)!.Accepts(JsonNode.Parse("""{"s":"abc"}""")));
        // JsonSchema.Net asserts formats ("text" is no date-time to it): a formatted string is its to decide, null is not.
        var formatted = StrictSchema.Compile(JsonNode.Parse("""{"type":"object","properties":{"at":{"type":["string","null"],"format":"date-time"}},"required":["at"],"additionalProperties":false}""")!.AsObject())!;
        Assert.False(formatted.Accepts(JsonNode.Parse("""{"at":"2026-12-03T10:00:00Z"}""")));
        Assert.True(formatted.Accepts(JsonNode.Parse("""{"at":null}""")));
        Assert.Null(StrictSchema.Compile(JsonNode.Parse("""{"type":"object","properties":{"s":{"type":"string","minLength":2}}}""")!.AsObject()));
        Assert.Null(StrictSchema.Compile(JsonNode.Parse("""{"type":"object","not":{"required":["a"]}}""")!.AsObject()));
    }

    /// <summary>A call that fits the schema: every property given a value of its first non-null type (nullable ones half the time left out).</summary>
    private static JsonNode? Sample(JsonNode? schema, IReadOnlyDictionary<string, JsonObject> defs, int depth)
    {
        if (schema is not JsonObject s || depth > 6) return null;
        if (s["$ref"]?.GetValue<string>() is { } r && defs.TryGetValue(r["#/$defs/".Length..], out var def)) return Sample(def, defs, depth + 1);
        if (s["anyOf"] is JsonArray any) return any.OfType<JsonObject>().Where(b => Types(b).FirstOrDefault() != "null").Select(b => Sample(b, defs, depth + 1)).FirstOrDefault();
        if (s["enum"] is JsonArray values) return values.FirstOrDefault(v => v is not null)?.DeepClone();
        switch (Types(s).FirstOrDefault(t => t != "null"))
        {
            case "object":
                var obj = new JsonObject();
                var i = 0;
                foreach (var (name, property) in s["properties"] as JsonObject ?? [])
                    if (!Types(property).Contains("null") || i++ % 2 == 0) obj[name] = Sample(property, defs, depth + 1);
                return obj;
            case "array":
                var array = new JsonArray();
                var count = s["minItems"]?.GetValue<int>() ?? 1;
                for (var n = 0; n < Math.Min(count, 3); n++) array.Add(Sample(s["items"], defs, depth + 1));
                return array;
            case "integer": return JsonValue.Create(Math.Max(s["minimum"]?.GetValue<decimal>() ?? 1, s["exclusiveMinimum"] is { } x ? x.GetValue<decimal>() + 1 : decimal.MinValue));
            case "number": return JsonValue.Create(Math.Max(s["minimum"]?.GetValue<decimal>() ?? 1.5m, s["exclusiveMinimum"] is { } y ? y.GetValue<decimal>() + 0.5m : decimal.MinValue));
            case "boolean": return JsonValue.Create(true);
            case "string": return JsonValue.Create("text");
            default: return null;
        }
    }

    /// <summary>The sample broken one way at a time, at the top level and one level down.</summary>
    private static IEnumerable<JsonObject> Broken(JsonObject sample, JsonObject schema, IReadOnlyDictionary<string, JsonObject> defs)
    {
        yield return With(sample, o => o["zz_unknown"] = 1);
        foreach (var (name, property) in schema["properties"] as JsonObject ?? [])
        {
            var types = Types(Resolve(property, defs));
            foreach (var bad in new JsonNode?[] { 12, 2.5, JsonValue.Create(2.0m), "text", true, new JsonArray(), new JsonObject(), 0, -5, JsonValue.Create("not-in-any-enum") })
                yield return With(sample, o => o[name] = bad?.DeepClone());
            // Numbers a decimal rounds onto a bound: JsonSchema.Net compares the text exactly.
            foreach (var edge in new[] { "-1e-40", "-0.00000000000000000000000000000001", "1.00000000000000000000000000001", "100.00000000000000000000000001", "1e400" })
                yield return With(sample, o => o[name] = JsonNode.Parse(edge));
            if (!types.Contains("null")) yield return With(sample, o => o.Remove(name));
            if (sample[name] is JsonObject inner) yield return With(sample, o => ((JsonObject)o[name]!)["zz_unknown"] = "x");
            if (sample[name] is JsonArray { Count: > 0 }) yield return With(sample, o => ((JsonArray)o[name]!).Add(JsonValue.Create("x")));
            if (sample[name] is JsonArray) yield return With(sample, o => o[name] = new JsonArray(Enumerable.Range(0, 200).Select(_ => (JsonNode?)JsonValue.Create(1)).ToArray()));
        }
    }

    private static JsonObject With(JsonObject sample, Action<JsonObject> change)
    {
        var copy = (JsonObject)sample.DeepClone();
        change(copy);
        return copy;
    }

    private static JsonNode? Resolve(JsonNode? schema, IReadOnlyDictionary<string, JsonObject> defs) =>
        schema is JsonObject s && s["$ref"]?.GetValue<string>() is { } r && defs.TryGetValue(r["#/$defs/".Length..], out var def) ? def : schema;

    private static List<string> Types(JsonNode? schema) => schema switch
    {
        JsonObject s when s["type"] is JsonArray many => many.Select(t => t!.GetValue<string>()).ToList(),
        JsonObject s when s["type"] is JsonValue one => [one.GetValue<string>()],
        JsonObject s when s["anyOf"] is JsonArray any => any.SelectMany(Types).ToList(),
        _ => [],
    };
}
