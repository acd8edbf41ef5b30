using System.Linq.Expressions;
using BlazorMonaco.Editor;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace Butterbase.Portal.Components.Shared;

public sealed partial class CodeEditor : IAsyncDisposable
{
    [Inject] public required IJSRuntime JS { get; init; }

    [Parameter] public string Value { get; set; } = "";
    [Parameter] public EventCallback<string> ValueChanged { get; set; }
    [Parameter] public Expression<Func<string>>? For { get; set; }
    [Parameter] public string Label { get; set; } = "Code";
    /// <summary>Monaco's language id (`typescript` also highlights plain JavaScript).</summary>
    [Parameter] public string Language { get; set; } = "typescript";
    [Parameter] public int Lines { get; set; } = 18;
    [Parameter] public string? HelperText { get; set; }
    [Parameter] public bool Error { get; set; }
    [Parameter] public string? ErrorText { get; set; }
    /// <summary>`data-testid` of the text area; the Monaco host is `{TestId}-monaco`.</summary>
    [Parameter] public string TestId { get; set; } = "code";

    private readonly string EditorId = "code-" + Guid.NewGuid().ToString("N")[..8];
    private StandaloneCodeEditor? _editor;
    /// <summary>Monaco's theme once it loaded (`vs`, or app.js's `butterbase-dark` over `vs-dark`, following the system like MainLayout), null before.</summary>
    private string? _theme;
    private bool _plain;
    /// <summary>The text Monaco holds as far as we know: a Value from outside that differs is pushed into it.</summary>
    private string? _inEditor;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            // Loaded on first use, not by Root.razor: ~3 MB that no other page needs. Null when it cannot load (no script,
            // a blocked asset): the text area stays, and works.
            try
            {
                _plain = await JS.InvokeAsync<bool>("butterbase.codeEditorPlain", (object?)null); // the user's earlier choice
                _theme = await JS.InvokeAsync<string?>("butterbase.loadMonaco");
            }
            catch (JSException) { _theme = null; }
            if (_theme is { Length: > 0 }) StateHasChanged();
            else _theme = null;
            return;
        }
        if (_editor is not null && _inEditor is not null && Value != _inEditor)
        {
            _inEditor = Value; // deployed and reloaded: the editor shows what was stored
            await _editor.SetValue(Value);
        }
    }

    private StandaloneEditorConstructionOptions Options(StandaloneCodeEditor editor)
    {
        _inEditor = Value;
        return new StandaloneEditorConstructionOptions
        {
            Value = Value,
            Language = Language,
            Theme = _theme,
            LineNumbers = "on",
            LineNumbersMinChars = 3, // a narrow gutter leaves a phone's 390 px for the code
            GlyphMargin = false,
            AutomaticLayout = true,
            ScrollBeyondLastLine = false,
            Minimap = new EditorMinimapOptions { Enabled = false },
            FontSize = 14,
            // Screen readers get Monaco's accessible mode without having to find Ctrl+E first (the browser cannot tell
            // Monaco one is running), and the editor is named like the field it replaces.
            AccessibilitySupport = "on",
            AriaLabel = $"{Label}, {Language} editor",
            FixedOverflowWidgets = true,
        };
    }

    private async Task EditorChangedAsync(ModelContentChangedEvent _) => await SyncAsync();

    /// <summary>
    /// Reads Monaco's text into <see cref="Value"/>. A form calls it before it validates: a keystroke's change event and
    /// the submit click can be handled in either order, and the submit must see the last keystroke.
    /// </summary>
    public async Task SyncAsync()
    {
        if (_editor is null || _plain) return;
        var text = await _editor.GetValue();
        if (text is null || text == _inEditor) return; // null: no browser answered (component tests with loose JS interop)
        _inEditor = text;
        Value = text;
        await ValueChanged.InvokeAsync(text);
    }

    private async Task TextChangedAsync(string? text)
    {
        Value = text ?? "";
        await ValueChanged.InvokeAsync(Value);
    }

    private async Task SetPlainAsync(bool plain)
    {
        if (plain) await SyncAsync();
        _plain = plain;
        try { await JS.InvokeAsync<bool>("butterbase.codeEditorPlain", plain); }
        catch (JSException) { } // not remembered: the choice still holds on this page
        if (plain) { _editor = null; _inEditor = null; }
    }

    public async ValueTask DisposeAsync()
    {
        if (_editor is null) return;
        try { await _editor.DisposeEditor(); }
        catch (JSDisconnectedException) { } // the circuit is gone, and with it the page
        catch (ObjectDisposedException) { }
    }
}
