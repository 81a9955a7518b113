// Reads the project's .dev.vars (dotenv syntax), creating it from .dev.vars.example when missing.
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Ensures .dev.vars exists; returns its path. */
export function ensureDevVars(root) {
  const path = join(root, ".dev.vars");
  if (!existsSync(path)) {
    copyFileSync(join(root, ".dev.vars.example"), path);
    console.error("created .dev.vars from .dev.vars.example");
  }
  return path;
}

/** Parses KEY=value lines; quotes are stripped, # starts a comment line. */
export function readDevVars(path) {
  const vars = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const value = m[2].replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
    vars[m[1]] = value;
  }
  return vars;
}
