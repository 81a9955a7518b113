/**
 * BreakerBoard: placeholder while it is being built (issue 3); declared so wrangler.toml's bindings resolve.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/platform/env";

export class BreakerBoard extends DurableObject<Env> {}
