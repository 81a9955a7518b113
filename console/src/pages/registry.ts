/**
 * Every page folder, found by Vite at build time (pages/<name>/index.tsx), in nav order.
 */
import type { PageDef } from "./page";

const modules = import.meta.glob<{ page: PageDef }>("./*/index.tsx", { eager: true });

export const PAGES: PageDef[] = Object.values(modules)
  .map((m) => m.page)
  .sort((a, b) => a.order - b.order);
