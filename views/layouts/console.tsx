/**
 * The page shell: head (CSS and htmx from the daemon itself, htmx configured without eval and
 * without inline styles), the navigation for the signed-in user's role, and a skip link.
 */
import type { Child, FC } from "hono/jsx";

export type Role = "admin" | "manager" | "viewer";

export interface Viewer {
  username: string;
  role: Role;
}

/**
 * htmx settings: no eval (hx-on, js: values), no injected <style>, no inline script execution, and
 * no `style` attribute copied between old and new content while settling (CSP style-src).
 */
export const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  attributesToSettle: ["class", "width", "height"],
  historyCacheSize: 0,
  selfRequestsOnly: true,
});

const NAV: { href: string; label: string; min: Role }[] = [
  { href: "/", label: "Overview", min: "viewer" },
  { href: "/alerts", label: "Alerts", min: "viewer" },
  { href: "/compliance", label: "Compliance", min: "viewer" },
  { href: "/doors", label: "Doors", min: "viewer" },
  { href: "/monitors", label: "Monitors", min: "viewer" },
  { href: "/computers", label: "Computers", min: "viewer" },
  { href: "/users", label: "Users", min: "admin" },
  { href: "/audit", label: "Audit", min: "admin" },
  { href: "/settings", label: "Settings", min: "admin" },
  { href: "/account", label: "My account", min: "viewer" },
];
const RANK: Record<Role, number> = { viewer: 1, manager: 2, admin: 3 };

export const Layout: FC<{ title: string; site: string; viewer?: Viewer | undefined; current?: string; children?: Child }> = ({ title, site, viewer, current, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="htmx-config" content={HTMX_CONFIG} />
      <meta name="referrer" content="same-origin" />
      <title>{`${title} — Gatehouse — ${site}`}</title>
      <link rel="stylesheet" href="/static/console.css" />
      <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
      <script src="/static/htmx.min.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <p class="brand">
          Gatehouse <span class="site">{site}</span>
        </p>
        {viewer ? (
          <nav aria-label="Main">
            <ul>
              {NAV.filter((n) => RANK[viewer.role] >= RANK[n.min]).map((n) => (
                <li>
                  <a href={n.href} aria-current={current === n.href || (n.href !== "/" && current?.startsWith(`${n.href}/`)) ? "page" : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
            <form method="post" action="/logout" class="logout">
              <span class="who">
                {viewer.username} ({viewer.role})
              </span>{" "}
              <button type="submit">Sign out</button>
            </form>
          </nav>
        ) : null}
      </header>
      <main id="main" tabindex={-1}>
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);
