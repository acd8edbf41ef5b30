using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Butterbase.Portal.Tests.Catalog;

/// <summary>
/// <see cref="StrictSchemaChecker"/> restates what the JSON Schema 2020-12 meta-schema asks of each keyword strict mode
/// allows, so the catalog test can check 47k schemas without evaluating the meta-schema on each. Here the two are held
/// side by side: every wrong value the meta-schema refuses, the checker refuses too, and a schema both accept stays accepted.
/// </summary>
public sealed class MetaSchemaAgreementTests
{
    private static JsonObject With(string property) =>
        JsonNode.Parse("{\"type\":\"object\",\"properties\":{\"x\":{" + property + "}},\"required\":[\"x\"],\"additionalProperties\":false}")!.AsObject();

    private static bool MetaSchemaAccepts(JsonObject schema) =>
        MetaSchemas.Draft202012.Evaluate(JsonDocument.Parse(schema.ToJsonString()).RootElement).IsValid;

    [Theory]
    [InlineData("\"type\":3")]
    [InlineData("\"type\":[]")]
    [InlineData("\"type\":[\"string\",\"string\"]")]
    [InlineData("\"type\":\"string\",\"description\":5")]
    [InlineData("\"type\":\"string\",\"title\":[\"a\"]")]
    [InlineData("\"type\":\"string\",\"format\":true")]
    [InlineData("\"type\":\"string\",\"pattern\":1")]
    [InlineData("\"type\":\"string\",\"enum\":\"a\"")]
    [InlineData("\"type\":\"number\",\"minimum\":\"1\"")]
    [InlineData("\"type\":\"number\",\"exclusiveMaximum\":true")]
    [InlineData("\"type\":\"number\",\"multipleOf\":0")]
    [InlineData("\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":-1")]
    [InlineData("\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":1.5")]
    [InlineData("\"type\":\"array\",\"items\":3")]
    [InlineData("\"anyOf\":[]")]
    [InlineData("\"anyOf\":[3]")]
    [InlineData("\"$ref\":5")]
    [InlineData("\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\",\"a\"],\"additionalProperties\":false")]
    [InlineData("\"type\":\"object\",\"properties\":{\"a\":3},\"required\":[\"a\"],\"additionalProperties\":false")]
    public void A_value_the_meta_schema_refuses_is_refused_by_the_checker_too(string property)
    {
        var schema = With(property);
        Assert.False(MetaSchemaAccepts(schema), "the case is meant to be invalid JSON Schema");
        Assert.NotEmpty(StrictSchemaChecker.Check(schema));
    }

    [Theory]
    [InlineData("\"type\":\"string\",\"description\":\"a name\",\"title\":\"Name\",\"format\":\"email\",\"pattern\":\"^a\"")]
    [InlineData("\"type\":[\"string\",\"null\"],\"enum\":[\"a\",null]")]
    [InlineData("\"type\":\"integer\",\"minimum\":0,\"maximum\":10,\"exclusiveMinimum\":-1,\"multipleOf\":2")]
    [InlineData("\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":0,\"maxItems\":3")]
    [InlineData("\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]")]
    [InlineData("\"const\":{\"any\":[\"value\"]}")]
    public void A_schema_both_accept_passes_the_checker(string property)
    {
        var schema = With(property);
        Assert.True(MetaSchemaAccepts(schema));
        Assert.Empty(StrictSchemaChecker.Check(schema));
    }

    [Fact]
    public void A_shape_keeps_the_verdict_and_a_property_named_description_stays_a_property()
    {
        var schema = JsonNode.Parse("""
            {"type":"object","description":"root","properties":{"description":{"type":"string","description":"the text"},
             "count":{"type":"integer","title":"Count"}},"required":["description","count"],"additionalProperties":false}
            """)!.AsObject();
        var shape = StrictSchemaChecker.Shape(schema);
        Assert.Equal("""{"type":"object","description":"","properties":{"p0":{"type":"string","description":""},"p1":{"type":"integer","title":""}},"required":["p0","p1"],"additionalProperties":false}""",
            shape.ToJsonString());
        // A description that is not text is not blanked, so the shape stays as invalid as the schema.
        var bad = With("\"type\":\"string\",\"description\":5");
        Assert.False(MetaSchemaAccepts(StrictSchemaChecker.Shape(bad)));
    }
}
