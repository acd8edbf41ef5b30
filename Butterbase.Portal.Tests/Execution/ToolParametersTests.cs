using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Execution;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>What a caller's bad `params` gets back: a 422's details, never an exception, and never more work or text than a few details' worth.</summary>
public sealed class ToolParametersTests
{
    private static readonly ToolkitCatalog Catalog = new();

    [Fact]
    public void A_number_JsonSchema_Net_throws_on_is_the_callers_invalid_params_not_an_exception()
    {
        var (tool, toolkit) = Catalog.FindTool("DISCORD_CREATE_CHANNEL")!.Value; // "type": anyOf [integer enum [0, 2, 4, 5, 15], null]
        using var call = JsonDocument.Parse("""{"guild_id":"1","name":"general","type":1e400}""");
        var (validated, problems) = new ToolParameters(Catalog).Validate(toolkit, tool, call.RootElement);
        Assert.Null(validated);
        Assert.Contains(problems, p => p.Field == "params" && p.Message.Contains("too large or too precise"));
    }

    [Fact]
    public void An_unknown_parameter_is_named_as_one_and_a_wrong_type_and_a_missing_one_get_their_own_details()
    {
        var (tool, toolkit) = Catalog.FindTool("DISCORD_CREATE_CHANNEL")!.Value;
        using var call = JsonDocument.Parse("""{"name":5,"colour":"red"}""");
        var (validated, problems) = new ToolParameters(Catalog).Validate(toolkit, tool, call.RootElement);
        Assert.Null(validated);
        Assert.Contains(problems, p => p is { Field: "colour", Message: "Unknown parameter: this tool does not take it." });
        Assert.Contains(problems, p => p.Field == "name" && p.Message.Contains("string"));
        Assert.Contains(problems, p => p is { Field: "guild_id", Message: "This parameter is required." });
        Assert.DoesNotContain(problems, p => p.Message.Contains("false schema"));
    }

    [Fact]
    public void A_megabyte_of_unknown_parameters_gets_a_bounded_list_of_details_in_bounded_time()
    {
        // An attacker's 1 MB body (the API's limit): ~90,000 unknown parameters. Each is one of JsonSchema.Net's errors;
        // the details were de-duplicated by a scan of the list so far (quadratic: minutes of a core per request) and all
        // sent back.
        var (tool, toolkit) = Catalog.FindTool("ASANA_GET_PROJECTS")!.Value;
        var body = new StringBuilder("{");
        for (var i = 0; body.Length < 1_000_000; i++) body.Append(i == 0 ? "" : ",").Append("\"p").Append(i).Append("\":0");
        using var call = JsonDocument.Parse(body.Append('}').ToString());
        var parameters = new ToolParameters(Catalog);
        var started = Stopwatch.GetTimestamp();
        var (validated, problems) = parameters.Validate(toolkit, tool, call.RootElement);
        var took = Stopwatch.GetElapsedTime(started);
        Assert.Null(validated);
        Assert.Equal(ToolParameters.MaxDetails, problems.Count);
        Assert.Equal("Unknown parameter: this tool does not take it.", problems[0].Message);
        Assert.Contains("more problems", problems[^1].Message);
        Assert.True(took < TimeSpan.FromSeconds(20), $"took {took}"); // a ceiling, not a benchmark: quadratic took far longer
    }
}
