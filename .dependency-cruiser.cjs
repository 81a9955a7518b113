/**
 * dependency-cruiser: no import cycles, and imports point one way (domains → workers/platform/, domains →
 * durable-objects/, durable-objects/ → workers/platform/), and a domain never imports another. `npm run lint`
 * runs it; any violation fails CI.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle: modules that cannot be understood, tested or loaded one without the other.",
      from: {},
      to: { circular: true },
    },
    {
      name: "platform-not-to-domains",
      severity: "error",
      comment: "workers/platform/ is the mechanism every domain builds on; it must not know any domain.",
      from: { path: "^workers/platform/" },
      to: { path: "^workers/[^/]+/", pathNot: "^workers/platform/" },
    },
    {
      name: "platform-not-to-durable-objects",
      severity: "error",
      comment: "Durable Objects build on workers/platform/, not the other way round.",
      from: { path: "^workers/platform/" },
      to: { path: "^durable-objects/" },
    },
    {
      name: "durable-objects-only-to-objects-and-platform",
      severity: "error",
      comment: "A Durable Object may use other objects and workers/platform/; its RPC contract lives beside it.",
      from: { path: "^durable-objects/" },
      to: { dependencyTypes: ["local"], pathNot: "^(durable-objects|workers/platform)/" },
    },
    {
      name: "no-cross-domain",
      severity: "error",
      comment: "A domain (workers/<domain>/) never imports another domain; share through platform or an object.",
      from: { path: "^workers/([^/]+)/", pathNot: "^workers/platform/" },
      to: { path: "^workers/[^/]+/", pathNot: "^workers/($1|platform)/" },
    },
    {
      name: "edge-agent-only-protocol",
      severity: "error",
      comment:
        "The edge-agent runs on a Pi, apart from the Worker: of the repository it shares only the hub ↔ device contract.",
      from: { path: "^edge-agent/" },
      to: { dependencyTypes: ["local"], pathNot: "^(edge-agent/|durable-objects/protocol\\.ts$)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|\\.wrangler|edge-agent/dist)/" },
    // Type-only imports count: a type import of a class is still an arrow between the two layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".d.ts", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
