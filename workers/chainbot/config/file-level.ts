/**
 * The file level: a config file uploaded as JSON, YAML or TOML is parsed with a maintained library and
 * checked key by key against the key table. A file may set any subset of keys, nested the way the seed's
 * default.yaml nests them; an unknown key or a value of the wrong type is an issue naming its dotted path.
 */
import { parse as parseToml, TomlError } from "smol-toml";
import { parse as parseYaml, YAMLError } from "yaml";
import { CONFIG_KEY_NAMES, checkValue, type ConfigKeyName, type ConfigValue, isConfigKey } from "./keys";

export const FILE_FORMATS = ["json", "yaml", "toml"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export interface ConfigIssue {
  field: string;
  message: string;
}

export type FileParse =
  { ok: true; values: Map<ConfigKeyName, ConfigValue> } | { ok: false; message: string; issues: ConfigIssue[] };

type TextParse = { ok: true; tree: unknown } | { ok: false; message: string };

function parseText(format: FileFormat, text: string): TextParse {
  try {
    switch (format) {
      case "json":
        return { ok: true, tree: JSON.parse(text) as unknown };
      case "yaml":
        // YAML 1.2 core schema: `yes`/`no` stay strings; duplicate keys and alias bombs are errors.
        return { ok: true, tree: parseYaml(text, { uniqueKeys: true, maxAliasCount: 50 }) };
      case "toml":
        return { ok: true, tree: parseToml(text, { unsafeKeyBehaviour: "throw", maxDepth: 16 }) };
    }
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split("\n")[0]?.replace(/^Invalid TOML document:\s*/, "") ?? "invalid TOML";
      return { ok: false, message: `line ${err.line}, column ${err.column}: ${reason}` };
    }
    // With prettyErrors (the default) the first line reads "<reason> at line L, column C:".
    if (err instanceof YAMLError) return { ok: false, message: (err.message.split("\n")[0] ?? "").replace(/:$/, "") };
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);
}

/** `database`, `raspberry_pi`, `raspberry_pi.gpio_pins`, …: the tables that hold keys. */
const SECTIONS = new Set(
  CONFIG_KEY_NAMES.flatMap((name) => {
    const parts = name.split(".");
    return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("."));
  }),
);

/** Walks a nested tree; a leaf is any non-table value, checked against the key at its dotted path. */
function collect(
  tree: Record<string, unknown>,
  prefix: string,
  values: Map<ConfigKeyName, ConfigValue>,
  issues: ConfigIssue[],
): void {
  for (const [k, v] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isConfigKey(path)) {
      const checked = checkValue(path, v);
      if (checked.ok) values.set(path, checked.value);
      else issues.push({ field: path, message: checked.message });
    } else if (!SECTIONS.has(path)) issues.push({ field: path, message: "unknown key" });
    else if (isTable(v)) collect(v, path, values, issues);
    else issues.push({ field: path, message: "must be a table of keys" });
  }
}

/** Parses and checks a whole file; the first issue is the message, every issue is listed. */
export function parseConfigFile(format: FileFormat, text: string): FileParse {
  const parsed = parseText(format, text);
  if (!parsed.ok) {
    const message = `${format}: ${parsed.message}`;
    return { ok: false, message: `body: ${message}`, issues: [{ field: "body", message }] };
  }
  if (!isTable(parsed.tree))
    return { ok: false, message: "body: must be a table of keys", issues: [{ field: "body", message: "not a table" }] };
  const values = new Map<ConfigKeyName, ConfigValue>();
  const issues: ConfigIssue[] = [];
  collect(parsed.tree, "", values, issues);
  const first = issues[0];
  if (first) return { ok: false, message: `${first.field}: ${first.message}`, issues };
  return { ok: true, values };
}
