window.butterbase = {
  copy: async (text) => {
    try { await navigator.clipboard.writeText(text); return true; } catch { return false; }
  },
  // The code editor's "Plain text" choice, kept in this browser: a screen reader user who picked it keeps it on every page.
  codeEditorPlain: (plain) => {
    try {
      if (plain !== undefined && plain !== null) localStorage.setItem('butterbase.codeEditorPlain', plain ? '1' : '0');
      return localStorage.getItem('butterbase.codeEditorPlain') === '1';
    } catch { return false; }
  },
  // The function editor's Monaco (BlazorMonaco's static web assets, served by this host): loaded on first use, once.
  // Answers the theme to start with ("vs" or "vs-dark", following the system like the portal's MudThemeProvider), or
  // null when it could not load (the page keeps its text area). docs/architecture.md "Function code editor".
  loadMonaco: () => window.butterbase._monaco ??= (async () => {
    const script = (src) => new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
    try {
      await script('/_content/BlazorMonaco/jsInterop.js');
      await script('/_content/BlazorMonaco/lib/monaco-editor/min/vs/loader.js');
      require.config({ paths: { vs: '/_content/BlazorMonaco/lib/monaco-editor/min/vs' } });
      await new Promise((resolve, reject) => require(['vs/editor/editor.main'], resolve, reject));
      // Functions are ES modules with an untyped ctx: type errors about it would be noise; syntax errors stay.
      monaco.languages.typescript.typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: true });
      monaco.languages.typescript.typescriptDefaults.setCompilerOptions({ target: monaco.languages.typescript.ScriptTarget.ES2022, allowNonTsExtensions: true, module: monaco.languages.typescript.ModuleKind.ESNext });
      // vs-dark's comment green was under 4.5:1 where axe measures it (docs/architecture.md "Accessibility"): lighter here.
      monaco.editor.defineTheme('butterbase-dark', { base: 'vs-dark', inherit: true, rules: [{ token: 'comment', foreground: '8FC47F' }], colors: {} });
      // Monaco's screen-reader announcements go to two live regions it marks role="complementary" (`.monaco-status`, in
      // an ARIA container under <body>): two unnamed landmarks that a landmark list offers as "complementary" twice and
      // that axe reports as landmark-unique beside the sidebar. They are status messages, so role="status" (polite, as
      // they are) instead: the announcements stay, the bogus landmarks go. Done whenever Monaco creates an editor.
      monaco.editor.onDidCreateEditor(() => {
        const fix = () => {
          document.querySelectorAll('.monaco-status[role="complementary"]').forEach((node) => node.setAttribute('role', 'status'));
          return document.querySelector('.monaco-status') !== null;
        };
        if (fix()) return;
        // Until they exist, and at most 10 s: a watcher on <body> left running would look at every render of the portal.
        const watch = new MutationObserver(() => { if (fix()) watch.disconnect(); });
        watch.observe(document.body, { childList: true, subtree: true });
        setTimeout(() => watch.disconnect(), 10000);
      });
      const dark = window.matchMedia('(prefers-color-scheme: dark)');
      dark.addEventListener('change', (e) => monaco.editor.setTheme(e.matches ? 'butterbase-dark' : 'vs'));
      return dark.matches ? 'butterbase-dark' : 'vs';
    } catch {
      window.butterbase._monaco = null; // a later page may try again
      return null;
    }
  })()
};
