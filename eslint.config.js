/**
 * ESLint for the whole tree: typescript-eslint's type-aware recommended rules plus the project's must-haves
 * (no floating or misused promises, no `any`, no non-null assertions, `import type`). Run by `npm run lint`.
 */
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

/** `// eslint-disable… -- why`: a switched-off check must say why (no plugin for it among the dependencies). */
const disableNeedsReason = {
  meta: { type: "suggestion", messages: { missing: "Say why after `--` in an eslint-disable comment." } },
  create(context) {
    return {
      Program() {
        for (const comment of context.sourceCode.getAllComments()) {
          const text = comment.value.trim();
          if (/^eslint-disable(-next-line|-line)?(\s|$)/.test(text) && !/\s--\s*\S/.test(text)) {
            context.report({ loc: comment.loc, messageId: "missing" });
          }
        }
      },
    };
  },
};

export default defineConfig(
  {
    ignores: [
      "**/node_modules/",
      ".wrangler/",
      "workers/bus/proto/gen/",
      "workers/jimbot/proto/gen/",
      "worker-configuration.d.ts",
      "test/bench/results/",
      "edge-agent/dist/",
      "console/dist/",
      "console/src/api/openapi.d.ts",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { botplane: { rules: { "disable-needs-reason": disableNeedsReason } } },
    languageOptions: {
      parserOptions: {
        projectService: {
          // Files outside tsconfig.json (Node-side config, fakes, edge agent, plain JS scripts) are typed with
          // tsconfig.node.json's options.
          allowDefaultProject: [
            "*.js",
            "*.ts",
            ".dependency-cruiser.cjs",
            "scripts/*.mjs",
            "edge-agent/scripts/*.mjs",
            "test/bench/*.js",
            "test/bench/*.mjs",
            "test/edge-agent/*.ts",
            "test/fakes/*.ts",
            "test/e2e/*.ts",
            "test/worker/vitest.config.ts",
            "test/worker/local-server.ts",
            "test/worker/fake-upstreams.ts",
            "test/worker/fake-upstreams/*.ts",
          ],
          defaultProject: "tsconfig.node.json",
          // The Node-side files (agent tests, fakes, bench, e2e) outgrew the default 50; they share one program.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 150,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": [
        "error",
        { prefer: "type-imports", fixStyle: "separate-type-imports", disallowTypeAnnotations: true },
      ],
      "@typescript-eslint/no-import-type-side-effects": "error",
      // A leading underscore is the tree's way of saying "unused on purpose" (interface-shaped parameters).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      // An async function without await still states its Promise contract (Hono handlers, mocks); nothing unsafe.
      "@typescript-eslint/require-await": "off",
      // SQLite rows are typed SqlStorageValue (… | ArrayBuffer); the tables read with String() hold no BLOBs.
      "@typescript-eslint/no-base-to-string": ["error", { ignoredTypeNames: ["ArrayBuffer"] }],
      // Passing a caught `unknown` on unchanged is a re-throw, not a new non-Error rejection.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
      // `try { JSON.parse(…) } catch {}` keeps a default on purpose; other empty blocks still fail.
      "no-empty": ["error", { allowEmptyCatch: true }],
      "botplane/disable-needs-reason": "error",
    },
  },
  {
    files: ["**/*.d.ts"],
    rules: {
      // An ambient declaration file cannot import (that would make it a module); import() types are the way.
      "@typescript-eslint/consistent-type-imports": ["error", { disallowTypeAnnotations: false }],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Plain JS declares no types, so every value is `any` and these would flag nearly every line.
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
);
