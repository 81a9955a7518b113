/**
 * Turns README.md's "API tour" into one bash script. Each line of the script is the README line with the same
 * number — the runnable ```sh blocks kept, everything else blank — so bash's $LINENO names the README line of
 * a failing command. Line 1 (the README's title) carries the prelude: stop at the first failing command and
 * say where, and trace each command. Blocks fenced ```sh no-run are skipped (they need tools `npm ci` does not
 * install, or state a fresh server does not have). CURLRC is the curl configuration the tour runs with
 * (through CURL_HOME), so that a command answering 4xx/5xx fails as surely as one that cannot run, and prints
 * the error body, while the README's commands stay as a reader types them.
 */

const SECTION = "## API tour";

const PRELUDE = [
  "set -eEuo pipefail",
  // In a function (the tour's json helper) $LINENO counts from the function: report the caller's line.
  `trap 's=$?; l=$LINENO; [ -n "\${FUNCNAME[0]:-}" ] && l=\${BASH_LINENO[0]}; echo "README.md:$l: exit status $s from: $BASH_COMMAND" >&2' ERR`,
  "PS4='+ README.md:$LINENO: '",
  "set -x",
].join("; ");

/** curl's options for the tour; --max-time only bounds a command that sets none itself (the last one wins). */
export const CURLRC = ["fail-with-body", "silent", "show-error", "max-time = 60", 'write-out = "\\n"', ""].join("\n");

export interface Tour {
  script: string;
  /** README line numbers of the first line of each block that runs. */
  blocks: number[];
  /** README line numbers of the blocks skipped as `sh no-run`. */
  skipped: number[];
}

/** The tour's runnable blocks as a bash script whose line numbers are README.md's. */
export function tourScript(readme: string): Tour {
  const lines = readme.split("\n");
  const start = lines.findIndex((l) => l.trim() === SECTION);
  if (start === -1) throw new Error(`README.md has no "${SECTION}" section`);
  const nextSection = lines.findIndex((l, i) => i > start && /^## /.test(l));
  const end = nextSection === -1 ? lines.length : nextSection;
  const out = lines.map(() => "");
  const blocks: number[] = [];
  const skipped: number[] = [];
  let fence: "run" | "skip" | "other" | undefined;
  for (let i = start + 1; i < end; i++) {
    const line = lines[i] ?? "";
    if (fence === undefined) {
      const open = /^```(.*)$/.exec(line);
      if (!open) continue;
      const info = (open[1] ?? "").trim().split(/\s+/);
      fence = info[0] !== "sh" ? "other" : info.includes("no-run") ? "skip" : "run";
      if (fence === "run") blocks.push(i + 2);
      if (fence === "skip") skipped.push(i + 1);
      continue;
    }
    if (/^```\s*$/.test(line)) {
      fence = undefined;
      continue;
    }
    if (fence === "run") out[i] = line;
  }
  if (fence !== undefined) throw new Error("README.md: a code block in the API tour is never closed");
  if (lines[0]?.trim() && !lines[0].startsWith("#")) throw new Error("README.md: line 1 must be the title");
  out[0] = PRELUDE;
  out.push('echo "README tour: all blocks ran"');
  return { script: out.join("\n"), blocks, skipped };
}
