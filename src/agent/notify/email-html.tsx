/**
 * HTML twin of the plain-text notification (the same blocks); hono/jsx escapes every value. It
 * lives beside the channel that sends it: the agent never imports views/ (the console's pages).
 */
import type { FC } from "hono/jsx";
import { utcText } from "../../kit/format.js";
import type { DigestEntry, Notification } from "../alerts/notification.js";
import { presentNotice, reportLines, type NoticeBlock } from "./render.js";

const Block: FC<{ b: NoticeBlock }> = ({ b }) => (
  <li>
    <strong>[{b.label}]</strong> {b.title}
    {b.lines.map((l) => (
      <>
        <br />
        <small>{l}</small>
      </>
    ))}
    {b.actions.length ? (
      <ul>
        {b.actions.map((a) => (
          <li>{a}</li>
        ))}
      </ul>
    ) : null}
  </li>
);

const DigestTable: FC<{ rows: DigestEntry[] }> = ({ rows }) => (
  <table>
    <thead>
      <tr>
        <th>Control</th>
        <th>State</th>
        <th>Open alerts</th>
        <th>Detail</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((d) => (
        <tr>
          <td>{d.control}</td>
          <td>{d.status}</td>
          <td>{d.open}</td>
          <td>{d.detail}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

/** The email's HTML part. */
export const NotificationEmail: FC<{ n: Notification; intro: string }> = ({ n, intro }) => (
  <html>
    <body>
      <p>{intro}</p>
      <p>
        Site: {n.site}
        {n.host ? (
          <>
            <br />
            Host: {n.host}
          </>
        ) : null}
        <br />
        Time: {utcText(n.at)}
      </p>
      {n.event === "report" ? (
        <ul>
          {reportLines(n).map((l) => (
            <li>{l}</li>
          ))}
        </ul>
      ) : null}
      {n.event === "digest" || n.event === "report" ? (
        <DigestTable rows={n.digest ?? []} />
      ) : (
        <ul>
          {presentNotice(n).map((b) => (
            <Block b={b} />
          ))}
        </ul>
      )}
      {n.consoleUrl ? (
        <p>
          <a href={n.consoleUrl}>Open the Gatehouse console</a>
        </p>
      ) : null}
    </body>
  </html>
);
