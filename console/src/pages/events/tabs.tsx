/**
 * The Events page's sub-navigation (live tail, history, dead letters, breakers & limits, resources).
 */
import { useLocation } from "preact-iso";
import { can } from "../../api/session";
import { href } from "../page";

const TABS = [
  { path: "events", title: "Live tail", scope: "events:read" },
  { path: "events/history", title: "History", scope: "events:read" },
  { path: "events/dead-letters", title: "Dead letters", scope: "events:read" },
  { path: "events/limits", title: "Breakers & rate limits", scope: "metrics:read" },
  { path: "events/resources", title: "Resources", scope: "resources:read" },
];

export function Tabs() {
  const { path } = useLocation();
  return (
    <nav class="tabs" aria-label="event views">
      {TABS.filter((t) => can(t.scope)).map((t) => (
        <a key={t.path} href={href(t.path)} aria-current={path === href(t.path) ? "page" : undefined}>
          {t.title}
        </a>
      ))}
    </nav>
  );
}
