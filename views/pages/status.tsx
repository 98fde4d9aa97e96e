/** The first plain status page: each monitor's state. No scripts, no inline styles. */
import type { FC } from "hono/jsx";
import type { Status } from "../../src/monitors/monitor.js";

export interface MonitorTile {
  id: string;
  title: string;
  status: Status;
  checkedAt: number | undefined;
  problems: string[];
  notApplicable: boolean;
}

const LABEL: Record<Status, string> = { pass: "OK", warn: "Warning", fail: "Failing", unknown: "Unknown" };

/** The status page. */
export const StatusPage: FC<{ site: string; overall: Status; tiles: MonitorTile[] }> = ({ site, overall, tiles }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>Gatehouse — {site}</title>
    </head>
    <body>
      <main>
        <h1>Gatehouse — {site}</h1>
        <p id="overall" data-status={overall}>
          Overall: <strong>{LABEL[overall]}</strong>
        </p>
        <table>
          <thead>
            <tr>
              <th scope="col">Monitor</th>
              <th scope="col">Status</th>
              <th scope="col">Last checked</th>
              <th scope="col">What is wrong</th>
            </tr>
          </thead>
          <tbody>
            {tiles.map((t) => (
              <tr id={`monitor-${t.id}`} data-status={t.status}>
                <td>{t.title}</td>
                <td>{t.notApplicable ? "Not applicable" : LABEL[t.status]}</td>
                <td>{t.checkedAt ? new Date(t.checkedAt).toISOString() : "never"}</td>
                <td>{t.problems.length ? t.problems.join("; ") : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </main>
    </body>
  </html>
);
