/**
 * The one place that decides page or fragment: an htmx request (HX-Request: true, not a boosted
 * navigation) gets the fragment, everything else the whole page. Always `Vary: HX-Request` so a
 * cache never serves one for the other.
 */
import type { Child } from "hono/jsx";
import type { Ctx } from "./context.js";

export function isFragmentRequest(c: Ctx): boolean {
  return c.req.header("HX-Request") === "true" && c.req.header("HX-Boosted") !== "true";
}

type Status = 200 | 400 | 401 | 403 | 404 | 409 | 422 | 429 | 500 | 503;

/** Renders `page()` or, for htmx, `fragment()` (defaults to the page when a route has none). */
export function respond(c: Ctx, views: { page: () => Child; fragment?: () => Child }, status: Status = 200): Response | Promise<Response> {
  c.header("Vary", "HX-Request");
  if (views.fragment && isFragmentRequest(c)) return c.html(String(views.fragment()), status);
  return c.html(`<!doctype html>${String(views.page())}`, status);
}
