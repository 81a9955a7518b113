/**
 * Semantic recall through the Worker's entry, on the D1 fallback store: a turn is embedded with the gateway's
 * `embed` function (the fake upstream's deterministic letter-count embeddings) and recalled into a later
 * session's context by cosine similarity — only within its own workspace — and a turn still answers when
 * the embedding fails.
 */
import { env } from "cloudflare:workers";
import { describe, it, vi } from "vitest";
import { recallSection } from "../../workers/chat/recall/recall";
import { cosineSimilarity as cosine } from "../../workers/platform/vectors";
import { call, json, uniqueId } from "./helpers";
import { founderToken, useChatModel } from "./chat-support";

const TAG = uniqueId("recall");
const CHAT_MODEL = `echo~chat-${TAG}`;

function configure(embedModel: string): Promise<void> {
  return useChatModel(
    CHAT_MODEL,
    `
[functions.embed]
type = "embedding"

[functions.embed.variants.only]
provider = "fake_openai"
model = "${embedModel}"
`,
  );
}

async function chat(auth: string, message: string): Promise<{ reply: string; session_id: string }> {
  const res = await call("/chat", { token: auth, body: { message } });
  if (res.status !== 200) throw new Error(`chat: ${res.status} ${await res.text()}`);
  return json(res);
}

/** Waits for the deferred embedding of a workspace's turns to land in the D1 store. */
async function waitForVectors(workspace: string, count: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM chat_recall_vectors WHERE workspace_id = ?")
        .bind(workspace)
        .first<{ n: number }>();
      if ((row?.n ?? 0) < count) throw new Error("not embedded yet");
    },
    { timeout: 10_000, interval: 50 },
  );
}

/** The system prompt the chat model got for the request whose last message is `text`. */
async function systemPromptFor(text: string): Promise<string> {
  const res = await fetch(`${env.TEST_FAKE_UPSTREAMS_URL}/_requests?model=${encodeURIComponent(CHAT_MODEL)}`);
  const requests = await res.json<{ body: { messages: { role: string; content: string }[] } }[]>();
  const request = requests.filter((r) => r.body.messages.at(-1)?.content === text).at(-1);
  if (!request) throw new Error(`no chat request for '${text}'`);
  return request.body.messages.find((m) => m.role === "system")?.content ?? "";
}

describe("semantic recall", () => {
  it("should bring an earlier session's turn into a new session's context, in its own workspace only", async ({
    expect,
  }) => {
    await configure(`embed~${TAG}`);
    const workspace = uniqueId("ws");
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: workspace });
    await chat(auth, "zebra jazz quiz fizz buzz");
    await waitForVectors(workspace, 1);

    await chat(auth, "quiz about zebra jazz");
    const prompt = await systemPromptFor("quiz about zebra jazz");
    expect(prompt).toContain(
      recallSection([
        { text: "Founder: zebra jazz quiz fizz buzz\nAssistant: echo: zebra jazz quiz fizz buzz", score: 1 },
      ]),
    );

    const outsider = await founderToken({ user_id: uniqueId("f"), workspace_id: uniqueId("ws") });
    await chat(outsider, "jazz quiz zebra outsider");
    expect(await systemPromptFor("jazz quiz zebra outsider")).not.toContain("Earlier conversations");
  });

  it("should still answer when the embedding fails, with nothing recalled or stored", async ({ expect }) => {
    await configure(`fake-500~${TAG}`);
    const workspace = uniqueId("ws");
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: workspace });
    expect((await chat(auth, "first words here")).reply).toBe("echo: first words here");
    expect((await chat(auth, "second words here")).reply).toBe("echo: second words here");
    expect(await systemPromptFor("second words here")).not.toContain("Earlier conversations");
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM chat_recall_vectors WHERE workspace_id = ?")
      .bind(workspace)
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
  });

  it("should score by cosine similarity", ({ expect }) => {
    expect(cosine([1, 0], [1, 0])).toBe(1);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([3, 4], [6, 8])).toBeCloseTo(1, 12);
    expect(cosine([1, 2], [1])).toBe(0);
  });
});
