/**
 * The operator console's deep links. Workers static assets serve the built app (console/dist, wrangler.toml
 * [assets]) before the Worker runs, so only paths under /console with no file reach here: a client-side route
 * such as /console/events gets the app's index.html, a missing file under /console/assets/ a 404, and nothing
 * outside /console is touched (API paths keep their own 404/405).
 */
import { Hono } from "hono";
import type { AppEnv } from "../platform/app-env";
import { errorBody } from "../platform/errors";

/** A last path segment with an extension names a file (a hashed bundle, an icon), never a client route. */
const FILE_LIKE = /\/[^/]+\.[a-z0-9]+$/i;

// One handler: Hono's "/console/*" also matches "/console" and would win over a separate route for it.
export const consoleRoutes = new Hono<AppEnv>().get("/console/*", async (c) => {
  if (c.req.path === "/console") return c.redirect("/console/", 308);
  if (FILE_LIKE.test(c.req.path)) return c.json(errorBody("not_found", `no console file ${c.req.path}`), 404);
  const assets = c.env.ASSETS;
  const index = await assets.fetch(new URL("/console/", c.req.url));
  if (!index.ok) {
    await index.body?.cancel();
    return c.json(errorBody("console_not_built", "the console is not built: run `npm run console:build`"), 404);
  }
  return new Response(index.body, {
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
  });
});
