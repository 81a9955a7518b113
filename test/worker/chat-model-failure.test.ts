/**
 * POST /chat when the model gateway cannot answer (the fake upstream's `fake-500`): a 502 in the one error
 * shape carrying the gateway's attempts, and with `stream: true` an error frame.
 */
import { beforeAll, describe, it } from "vitest";
import { call, json, uniqueId } from "./helpers";
import { founderToken, useChatModel } from "./chat-support";

beforeAll(async () => {
  await useChatModel(`fake-500~${uniqueId("down")}`);
});

describe("POST /chat without a model that answers", () => {
  it("should answer 502 all_attempts_failed naming the attempt", async ({ expect }) => {
    const res = await call("/chat", { token: await founderToken({ user_id: uniqueId("f") }), body: { message: "hi" } });
    expect(res.status).toBe(502);
    const body = await json<{ error: { code: string; details: { attempts: { variant: string; status: string }[] } } }>(
      res,
    );
    expect(body.error.code).toBe("all_attempts_failed");
    expect(body.error.details.attempts.map((a) => [a.variant, a.status])).toEqual([["only", "server"]]);
  });

  it("should end a stream with an error frame in the error shape and no tokens", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const first = await call("/chat", { token: auth, body: { message: "start", stream: true } });
    const frames = (await first.text()).split("\n\n").filter(Boolean);
    expect(frames.at(-1)).toBe("data: [DONE]");
    const error = JSON.parse(frames.at(-2)?.slice(6) ?? "{}") as { type: string; error: { code: string } };
    expect(error).toMatchObject({ type: "error", error: { code: "all_attempts_failed" } });
    expect(frames.filter((f) => f.includes('"type":"token"'))).toEqual([]);
  });
});
