// Deploy-time check of a function's shape, run by `deno lint` (FunctionCodeCheck.cs) with Deno's own parser, so the
// check parses exactly what the runtime will run (TypeScript included) and never executes the code.
// It reports imports (everything a handler may use arrives in ctx) and a missing default export.
export default {
  name: "butterbase",
  rules: {
    "function-shape": {
      create(context) {
        let hasDefault = false;
        return {
          ImportDeclaration(node) { context.report({ node, message: "import" }); },
          ImportExpression(node) { context.report({ node, message: "import" }); },
          ExportAllDeclaration(node) { context.report({ node, message: "import" }); },
          ExportNamedDeclaration(node) {
            if (node.source) context.report({ node, message: "import" });
            if (node.specifiers?.some((s) => (s.exported?.name ?? s.exported?.value) === "default")) hasDefault = true;
          },
          ExportDefaultDeclaration() { hasDefault = true; },
          "Program:exit"(node) { if (!hasDefault) context.report({ node, message: "no-default" }); },
        };
      },
    },
  },
};
