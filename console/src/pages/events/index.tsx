/**
 * Events: live tail, history, one event, dead letters, breakers and rate limits, resources and grants.
 */
import type { PageDef, PageRoute } from "../page";
import { DeadLetters } from "./dead-letters";
import { History, OneEvent } from "./history";
import { Limits, Resources } from "./limits";
import { LiveTail } from "./live";

export const page: PageDef = {
  path: "events",
  title: "Events",
  order: 20,
  scopes: ["events:read", "resources:read"],
  routes: [
    { path: "", component: LiveTail },
    { path: "history", component: History },
    { path: "event/:id", component: OneEvent as PageRoute["component"] },
    { path: "dead-letters", component: DeadLetters },
    { path: "limits", component: Limits },
    { path: "resources", component: Resources },
  ],
};
