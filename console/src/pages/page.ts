/**
 * What a page folder exports: its place in the nav, the scopes that show it (any one of them), and its
 * routes below /console/<path>. A new page is one folder, pages/<name>/index.tsx exporting `page`.
 */
import type { AnyComponent } from "preact";

export interface PageRoute {
  /** Below the page's own path: "" for its root, "item/:id" for a detail. */
  path: string;
  component: AnyComponent<Record<string, unknown>>;
}

export interface PageDef {
  path: string;
  title: string;
  order: number;
  /** Any one of these shows the page; none at all: every signed-in principal. */
  scopes: string[];
  routes: PageRoute[];
}

export const BASE = "/console";

export function href(path: string): string {
  return `${BASE}/${path}`.replace(/\/+$/, "") || BASE;
}
