/** Overview: what is red now, and what to do about it. */
import type { Child, FC } from "hono/jsx";
import { Layout, type Viewer } from "../layouts/console.js";

/** The page around the overview's tiles (`children`: the OverviewTiles fragment, or a slot the route fills with it). */
export const OverviewPage: FC<{ site: string; viewer: Viewer; tz: string; refreshSeconds: number; children?: Child }> = (p) => (
  <Layout title="Overview" site={p.site} viewer={p.viewer} current="/">
    <p class="hint">This page refreshes itself every {p.refreshSeconds} seconds; reload it if JavaScript is off. Times are {p.tz} time.</p>
    {p.children}
  </Layout>
);
