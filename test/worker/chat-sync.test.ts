/**
 * POST /workspace/{id}/sync through the Worker's entry: the four rolling summaries (weekly, blockers, plan,
 * decisions) rebuilt through the model gateway (the fake echo model answers with the material it was given)
 * from the workspace's transcripts, goals and checklists, written to `summaries` in place of the previous
 * ones; mode-3 data only in a mode-3 sync; 404 to anyone but the owner.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { MemoryStore } from "../../workers/chat/memory-store";
import { call, json, uniqueId } from "./helpers";
import { founderToken, useChatModel } from "./chat-support";

interface Synced {
  workspace_id: string;
  namespace: string;
  summaries: { id: string; type: string; content: string; generated_at: string }[];
  input: { transcripts: number; goals: number; checklists: number; chars: number };
}

beforeAll(async () => {
  await useChatModel(`echo~${uniqueId("sync")}`);
});

async function chat(auth: string, message: string, trustMode?: number): Promise<void> {
  const res = await call("/chat", { token: auth, body: { message, trust_mode: trustMode } });
  if (res.status !== 200) throw new Error(`chat: ${res.status} ${await res.text()}`);
}

async function sync(workspace: string, auth: string, body: unknown = {}): Promise<Response> {
  return call(`/workspace/${workspace}/sync`, { token: auth, body });
}

async function storedSummaries(workspace: string, namespace: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, type, content FROM summaries WHERE workspace_id = ? AND namespace = ? ORDER BY type",
  )
    .bind(workspace, namespace)
    .all<{ id: string; type: string; content: string }>();
  return results;
}

describe("POST /workspace/{id}/sync", () => {
  it("should rebuild the four summaries from transcripts, goals and checklists", async ({ expect }) => {
    const founder = uniqueId("f");
    const workspace = uniqueId("ws");
    const auth = await founderToken({ user_id: founder, workspace_id: workspace });
    const store = new MemoryStore(env, { founderId: founder, workspaceId: workspace, namespace: "wb" });
    await store.createGoal({ title: "Reach paying customers", target_value: 10, current_value: 2, unit: "customers" });
    await store.createChecklist({ title: "Launch", items: ["landing page", "pricing"] });
    await chat(auth, "we decided to launch on friday");

    const res = await sync(workspace, auth);
    expect(res.status).toBe(200);
    const body = await json<Synced>(res);
    expect(body.workspace_id).toBe(workspace);
    expect(body.namespace).toBe("wb");
    expect(body.input).toMatchObject({ transcripts: 1, goals: 1, checklists: 1 });
    expect(body.summaries.map((s) => s.type)).toEqual(["weekly", "blockers", "plan", "decisions"]);
    const material = [
      "Goals:",
      "- Reach paying customers: 2/10 customers",
      "",
      "Checklists:",
      "- Launch (0% done): [ ] landing page; [ ] pricing",
      "",
      "Recent conversations:",
      "Founder: we decided to launch on friday",
      "Assistant: echo: we decided to launch on friday",
    ].join("\n");
    // The echo model answers with the last user text's words: the material each summary was built from.
    for (const s of body.summaries) expect(s.content).toBe(`echo: ${material.split(/\s+/).join(" ")}`);
    expect(body.input.chars).toBe(material.length);
    const stored = await storedSummaries(workspace, "wb");
    expect(stored.map((r) => r.id).sort()).toEqual(body.summaries.map((s) => s.id).sort());

    const again = await json<Synced>(await sync(workspace, auth));
    const replaced = await storedSummaries(workspace, "wb");
    expect(replaced.map((r) => r.id).sort()).toEqual(again.summaries.map((s) => s.id).sort());
    expect(replaced.map((r) => r.id).filter((id) => stored.some((s) => s.id === id))).toEqual([]);
  });

  it("should keep mode-3 (Sovereign) transcripts out of a lower-mode sync", async ({ expect }) => {
    const founder = uniqueId("f");
    const workspace = uniqueId("ws");
    const auth = await founderToken({ user_id: founder, workspace_id: workspace, trust_mode_max: 3 });
    await chat(auth, "ordinary plan talk", 1);
    await chat(auth, "sovereign secret plan", 3);

    const low = await json<Synced>(await sync(workspace, auth, { trust_mode: 1 }));
    expect(low.namespace).toBe("wb");
    expect(low.summaries[0]?.content).toContain("ordinary plan talk");
    expect(low.summaries[0]?.content).not.toContain("sovereign");

    const high = await json<Synced>(await sync(workspace, auth, { trust_mode: 3 }));
    expect(high.namespace).toBe("wbs");
    expect(high.summaries[0]?.content).toContain("sovereign secret plan");
    expect(high.summaries[0]?.content).not.toContain("ordinary");
    expect(await storedSummaries(workspace, "wb")).toHaveLength(4);
    expect(await storedSummaries(workspace, "wbs")).toHaveLength(4);
  });

  it("should answer 404 to anyone but the owner and write nothing", async ({ expect }) => {
    const founder = uniqueId("f");
    const workspace = uniqueId("ws");
    await new MemoryStore(env, { founderId: founder, workspaceId: workspace, namespace: "wb" }).updateProfile({
      name: "Acme",
    });
    // A token naming the workspace is not enough once the workspace has another owner on record.
    const claiming = await founderToken({ user_id: uniqueId("f"), workspace_id: workspace });
    const stranger = await founderToken({ user_id: uniqueId("f") });
    for (const auth of [claiming, stranger]) {
      const res = await sync(workspace, auth);
      expect(res.status).toBe(404);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe("workspace_not_found");
    }
    expect(await storedSummaries(workspace, "wb")).toEqual([]);
    const owner = await founderToken({ user_id: founder });
    expect((await sync(workspace, owner)).status).toBe(200);
  });

  it("should answer 400 naming the field for a trust mode out of range", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const res = await sync("anything", auth, { trust_mode: 7 });
    expect(res.status).toBe(400);
    expect((await json<{ error: { message: string } }>(res)).error.message).toContain("body.trust_mode");
  });
});
