/**
 * Splits an Ollama `/api/embed` answer into several objects that each serialise under a byte budget, so a big
 * batch of embeddings fits the hub's WebSocket message limit (1 MiB). The hub concatenates the pieces'
 * `embeddings` in order and sums their `prompt_eval_count`, so the count and the other fields ride on the
 * first piece only.
 */

function isNumberMatrix(value: unknown): value is number[][] {
  return Array.isArray(value) && value.every((row) => Array.isArray(row));
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

/**
 * Returns `answer` itself when it fits (or is not an embed answer), otherwise pieces in order, each holding
 * as many embeddings as fit in `maxBytes` (at least one, even if that one alone is larger).
 */
export function splitEmbedAnswer(answer: Record<string, unknown>, maxBytes: number): Record<string, unknown>[] {
  const { embeddings, ...rest } = answer;
  if (!isNumberMatrix(embeddings) || bytes(answer) <= maxBytes) return [answer];
  const pieces: Record<string, unknown>[] = [];
  let current: number[][] = [];
  // The first piece carries every other field; later ones carry only the model name and their slice.
  const envelope = () => (pieces.length === 0 ? rest : typeof rest.model === "string" ? { model: rest.model } : {});
  let size = bytes({ ...envelope(), embeddings: [] });
  for (const row of embeddings) {
    const rowBytes = bytes(row) + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && size + rowBytes > maxBytes) {
      pieces.push({ ...envelope(), embeddings: current });
      current = [];
      size = bytes({ ...envelope(), embeddings: [] });
    }
    current.push(row);
    size += bytes(row) + (current.length > 1 ? 1 : 0);
  }
  pieces.push({ ...envelope(), embeddings: current });
  return pieces;
}
