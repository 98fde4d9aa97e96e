/** Overview: what is red now, and what to do about it. */
import type { FC } from "hono/jsx";
import { OverviewTiles, type ControlTile, type OverviewSummary } from "../fragments/overview-tiles.js";
import { Layout, type Viewer } from "../layouts/console.js";

export const OverviewPage: FC<{ site: string; viewer: Viewer; tiles: ControlTile[]; registers: ControlTile[]; summary: OverviewSummary; tz: string; refreshSeconds: number }> = (p) => (
  <Layout title="Overview" site={p.site} viewer={p.viewer} current="/">
    <p class="hint">This page refreshes itself every {p.refreshSeconds} seconds; reload it if JavaScript is off. Times are {p.tz} time.</p>
    <OverviewTiles tiles={p.tiles} registers={p.registers} summary={p.summary} tz={p.tz} refreshSeconds={p.refreshSeconds} />
  </Layout>
);
