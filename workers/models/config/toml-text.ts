/**
 * TOML text → a plain tree, accepting the seed's one deviation from TOML: inside `[functions.F]` it writes
 * `variants = ["local", …]` and then defines `[functions.F.variants.local]`, which strict TOML rejects as
 * a redefinition. The list is renamed to an internal key before parsing (line by line, only under a
 * `[functions.F]` header), so it still gives the variants' written order. TensorZero itself has only the
 * tables, so real TensorZero configs pass through untouched.
 */
import { parse, TomlError } from "smol-toml";
import { VARIANT_LIST_KEY } from "./schema";

const FUNCTION_HEADER = /^\s*\[\s*functions\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')\s*\]\s*(?:#.*)?$/;
const ANY_HEADER = /^\s*\[/;
const VARIANT_LIST = /^(\s*)(?:variants|"variants"|'variants')(\s*=\s*\[)/;

function renameVariantLists(text: string): string {
  let inFunction = false;
  return text
    .split("\n")
    .map((line) => {
      if (FUNCTION_HEADER.test(line)) inFunction = true;
      else if (ANY_HEADER.test(line)) inFunction = false;
      else if (inFunction) return line.replace(VARIANT_LIST, `$1${VARIANT_LIST_KEY}$2`);
      return line;
    })
    .join("\n");
}

export type TomlParse = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

export function parseGatewayToml(text: string): TomlParse {
  try {
    return { ok: true, value: parse(renameVariantLists(text), { unsafeKeyBehaviour: "throw", maxDepth: 32 }) };
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split("\n")[0]?.replace(/^Invalid TOML document:\s*/, "") ?? "invalid TOML";
      return { ok: false, message: `line ${err.line}, column ${err.column}: ${reason}` };
    }
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
