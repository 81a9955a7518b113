/**
 * botz_id is a name-based UUID (v5) of the instance_id, so the same bot always gets the same id, and a bot
 * registering over the bus knows its id without waiting for a reply.
 */
const NAMESPACE = "6f1c1a8e-4d6b-5d8e-9c4a-7b2f0e3d9a10";

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll("-", "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

export async function botzIdFor(instanceId: string): Promise<string> {
  const name = new TextEncoder().encode(instanceId);
  const input = new Uint8Array(16 + name.length);
  input.set(uuidBytes(NAMESPACE));
  input.set(name, 16);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-1", input)).slice(0, 16);
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
