using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// HubSpot CRM create and update (PATCH, the record id in the path): flat parameters, plus any in the `properties` JSON string, become
/// `{ "properties": { name: "value" } }`. Property values are strings in HubSpot's API (numbers and booleans are
/// sent as their text, lists as "a;b" for multiple checkboxes) — https://developers.hubspot.com/docs/api/crm/contacts
/// and https://developers.hubspot.com/docs/api/crm/properties#multiple-checkboxes.
/// </summary>
public sealed class HubSpotCreate : CodedTool
{
    public override IEnumerable<string> Names =>
        ["HUBSPOT_CREATE_CONTACT", "HUBSPOT_CREATE_COMPANY", "HUBSPOT_CREATE_DEAL", "HUBSPOT_UPDATE_CONTACT", "HUBSPOT_UPDATE_COMPANY", "HUBSPOT_UPDATE_DEAL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var properties = new JsonObject();
        if (Text(parameters, "properties") is { } extra)
        {
            JsonNode? parsed;
            try { parsed = JsonNode.Parse(extra); }
            catch (JsonException) { parsed = null; }
            if (parsed is not JsonObject more)
                throw new InvalidToolParameter("properties", "Give a JSON object of internal property names to values, e.g. {\"phone\": \"+1 555 0100\"}.");
            foreach (var (name, value) in more)
                if (value is not null) properties[name] = PropertyValue(name, value);
        }
        // The named parameters win over the same names in `properties`.
        foreach (var (name, value) in parameters)
            if (name != "properties" && value is not null && tool.In.GetValueOrDefault(name) == "body") properties[name] = PropertyValue(name, value);
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["properties"] = properties });
    }

    private static string PropertyValue(string name, JsonNode value) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        JsonValue v => v.ToJsonString(), // numbers and booleans, invariant
        JsonArray items when items.All(i => i is JsonValue) => string.Join(";", items.Select(i => i is JsonValue v && v.TryGetValue<string>(out var s) ? s : i!.ToJsonString())),
        _ => throw new InvalidToolParameter(name, "A HubSpot property value is a string, number, boolean or a list of them."),
    };
}
