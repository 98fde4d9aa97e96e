/** HTML twin of the plain-text notification; hono/jsx escapes every value. */
import type { FC } from "hono/jsx";
import type { DigestEntry, Notification, NotificationItem } from "../../src/agent/alerts/notification.js";
import { formatTime, itemDetail } from "../../src/agent/notify/render.js";

const Item: FC<{ item: NotificationItem }> = ({ item }) => {
  const [first, ...rest] = itemDetail(item);
  return (
    <li>
      <strong>
        [{item.severity}] {item.source}
      </strong>
      : {item.message}
      <br />
      <small>{first}</small>
      {rest.length ? <pre>{rest.join("\n")}</pre> : null}
    </li>
  );
};

const DigestTable: FC<{ rows: DigestEntry[] }> = ({ rows }) => (
  <table>
    <thead>
      <tr>
        <th>Control</th>
        <th>State</th>
        <th>Detail</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((d) => (
        <tr>
          <td>{d.control}</td>
          <td>{d.status}</td>
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
        <br />
        Time: {formatTime(n.at)}
      </p>
      {n.event === "digest" ? (
        <DigestTable rows={n.digest ?? []} />
      ) : (
        <ul>
          {n.items.map((i) => (
            <Item item={i} />
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
