/**
 * A fake decision backend (an HTTP model server such as Ray Serve) for the JimBot decision service:
 * `POST /decide/<knob>` with a JSON LearningDecisionRequest. Knobs:
 *   fast        200 at once: the last available action (so a fallback, which picks others, is told apart),
 *               confidence 0.9, action_values 1/n each, strategy_name "fake_ppo"
 *   slow[-MS]   the same after MS ms (2000)
 *   down        503
 *   garbage     200 with a body that is not a LearningDecisionResponse
 */
import type { ServerResponse } from "node:http";
import { sendJson, sleep } from "./behaviour.ts";

export async function handleDecide(path: string, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  const knob = path.slice("/decide/".length);
  const slow = /^slow(?:-(\d+))?$/.exec(knob);
  if (knob === "down") return sendJson(res, 503, { error: "backend down" });
  if (knob === "garbage") return sendJson(res, 200, { nothing: true });
  if (knob !== "fast" && !slow) return sendJson(res, 404, { error: `no decide knob ${knob}` });
  if (slow) await sleep(Number(slow[1] ?? 2000), res);
  const actions = Array.isArray(body.available_actions) ? (body.available_actions as string[]) : ["noop"];
  return sendJson(res, 200, {
    request_id: body.request_id,
    selected_action: actions.at(-1) ?? "noop",
    confidence: 0.9,
    action_values: Object.fromEntries(actions.map((a) => [a, 1 / actions.length])),
    used_llm: false,
    strategy_name: "fake_ppo",
  });
}
