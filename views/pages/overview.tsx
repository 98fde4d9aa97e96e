/** Overview: what is red now. */
import type { FC } from "hono/jsx";
import { OverviewTiles, type ControlTile } from "../fragments/overview-tiles.js";
import { Layout, type Viewer } from "../layouts/console.js";

export const OverviewPage: FC<{ site: string; viewer: Viewer; tiles: ControlTile[]; tz: string; refreshSeconds: number }> = (p) => (
  <Layout title="Overview" site={p.site} viewer={p.viewer} current="/">
    <p class="hint">This page refreshes itself every {p.refreshSeconds} seconds; reload it if JavaScript is off.</p>
    <OverviewTiles tiles={p.tiles} tz={p.tz} refreshSeconds={p.refreshSeconds} />
  </Layout>
);
