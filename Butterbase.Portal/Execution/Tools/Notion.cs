using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Notion create page (https://developers.notion.com/reference/post-page): the title goes into the page's `title`
/// property (or the database's title column, "Name"), and plain-text content with light Markdown becomes blocks
/// (https://developers.notion.com/reference/block): "# ", "## ", "### " headings, "- " bulleted and "1. " numbered
/// items, other lines paragraphs separated by blank lines. Notion limits a request to 100 child blocks and a
/// rich-text object to 2000 characters (https://developers.notion.com/reference/request-limits).
/// </summary>
public sealed partial class NotionCreatePage : CodedTool
{
    private const int MaxBlocks = 100, MaxText = 2000;

    public override IEnumerable<string> Names => ["NOTION_CREATE_PAGE"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var parentId = Text(parameters, "parent_id") ?? throw new InvalidToolParameter("parent_id", "Give the parent page or database id.");
        var isDatabase = Text(parameters, "parent_type") == "database";
        var title = RichText(Text(parameters, "title") ?? "");
        var page = new JsonObject
        {
            ["parent"] = isDatabase ? new JsonObject { ["database_id"] = parentId } : new JsonObject { ["page_id"] = parentId },
            ["properties"] = isDatabase ? new JsonObject { ["Name"] = new JsonObject { ["title"] = title } } : new JsonObject { ["title"] = new JsonObject { ["title"] = title } },
        };
        if (Text(parameters, "content") is { } content)
        {
            var blocks = Blocks(content).ToList();
            if (blocks.Count > MaxBlocks)
                throw new InvalidToolParameter("content", $"content makes {blocks.Count} blocks; Notion takes at most {MaxBlocks} in one request.");
            page["children"] = new JsonArray(blocks.ToArray());
        }
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, page);
    }

    [GeneratedRegex(@"^(#{1,3}) (.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^[-*] (.*)$")]
    private static partial Regex Bullet();

    [GeneratedRegex(@"^\d+[.)] (.*)$")]
    private static partial Regex Numbered();

    [GeneratedRegex(@"^(?:[-*] )?\[([ xX])\] (.*)$")]
    private static partial Regex ToDo();

    internal static IEnumerable<JsonNode> Blocks(string content)
    {
        var paragraph = new List<string>();
        foreach (var raw in content.Replace("\r\n", "\n").Split('\n'))
        {
            var line = raw.TrimEnd();
            JsonNode? block = Heading().Match(line) is { Success: true } h ? Block("heading_" + h.Groups[1].Length, h.Groups[2].Value)
                : ToDo().Match(line) is { Success: true } t ? Block("to_do", t.Groups[2].Value).Also(b => b["to_do"]!["checked"] = t.Groups[1].Value != " ")
                : Bullet().Match(line) is { Success: true } b ? Block("bulleted_list_item", b.Groups[1].Value)
                : Numbered().Match(line) is { Success: true } n ? Block("numbered_list_item", n.Groups[1].Value)
                : null;
            if (block is null && line.Length > 0) { paragraph.Add(line); continue; }
            if (paragraph.Count > 0) { yield return Block("paragraph", string.Join("\n", paragraph)); paragraph.Clear(); }
            if (block is not null) yield return block;
        }
        if (paragraph.Count > 0) yield return Block("paragraph", string.Join("\n", paragraph));
    }

    private static JsonObject Block(string type, string text) =>
        new() { ["object"] = "block", ["type"] = type, [type] = new JsonObject { ["rich_text"] = RichText(text) } };

    private static JsonArray RichText(string text) =>
        new(text.Chunk(MaxText).Select(chunk => (JsonNode)new JsonObject { ["type"] = "text", ["text"] = new JsonObject { ["content"] = new string(chunk) } }).ToArray());
}

/// <summary>
/// Append block children (https://developers.notion.com/reference/patch-block-children): the text becomes blocks as for
/// <see cref="NotionCreatePage"/> (plus "[ ] " / "[x] " to-dos), at most 100 per request; `after` places them after a child.
/// </summary>
public sealed class NotionAppendBlocks : CodedTool
{
    public override IEnumerable<string> Names => ["NOTION_APPEND_BLOCKS"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var blocks = NotionCreatePage.Blocks(Text(parameters, "content") ?? "").ToList();
        if (blocks.Count == 0) throw new InvalidToolParameter("content", "Give some text to append.");
        if (blocks.Count > 100) throw new InvalidToolParameter("content", $"content makes {blocks.Count} blocks; Notion takes at most 100 in one request.");
        var body = new JsonObject { ["children"] = new JsonArray(blocks.ToArray()) };
        if (Text(parameters, "after") is { } after) body["after"] = after;
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, body);
    }
}
