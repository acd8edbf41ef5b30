using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Sheets tab changes through spreadsheets.batchUpdate (https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets/batchUpdate):
/// flat parameters become one `addSheet` / `deleteSheet` request. Adding answers the new sheet's properties
/// (`replies[0].addSheet.properties`), not the whole batch reply.
/// </summary>
public sealed class GoogleSheetsSheetRequest : CodedTool
{
    public override IEnumerable<string> Names => ["GOOGLESHEETS_ADD_SHEET", "GOOGLESHEETS_DELETE_SHEET"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        JsonObject request;
        if (tool.Name == "GOOGLESHEETS_ADD_SHEET")
        {
            var properties = new JsonObject { ["title"] = Text(parameters, "title") ?? throw new InvalidToolParameter("title", "Give the sheet's name.") };
            if (parameters["index"] is JsonValue index) properties["index"] = index.DeepClone();
            if (parameters["rowCount"] is not null || parameters["columnCount"] is not null)
            {
                var grid = new JsonObject();
                if (parameters["rowCount"] is JsonValue rows) grid["rowCount"] = rows.DeepClone();
                if (parameters["columnCount"] is JsonValue columns) grid["columnCount"] = columns.DeepClone();
                properties["gridProperties"] = grid;
            }
            request = new JsonObject { ["addSheet"] = new JsonObject { ["properties"] = properties } };
        }
        else request = new JsonObject { ["deleteSheet"] = new JsonObject { ["sheetId"] = parameters["sheetId"]?.DeepClone() } };
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["requests"] = new JsonArray(request) });
    }

    public override ToolOutcome Read(JsonNode? body) =>
        new(true, body?["replies"]?[0]?["addSheet"]?["properties"]?.DeepClone() ?? body);
}
