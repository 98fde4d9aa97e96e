/** HTML twin of the plain-text notification; hono/jsx escapes every value. */
import type { FC } from "hono/jsx";
import type { Notification, NotificationItem } from "../../src/agent/alerts/notification.js";
import { formatTime } from "../../src/agent/notify/render.js";

const Item: FC<{ item: NotificationItem }> = ({ item }) => (
  <li>
    <strong>[{item.severity}] {item.source}</strong>: {item.message}
    <br />
    <small>
      rule {item.rule}
      {item.subject ? ` (${item.subject})` : ""}, since {formatTime(item.since)}
    </small>
    {item.change && (item.change.added?.length || item.change.removed?.length) ? (
      <pre>
        {[...(item.change.added ?? []).map((a) => `+ ${a}`), ...(item.change.removed ?? []).map((r) => `- ${r}`)].join("\n")}
      </pre>
    ) : item.change ? (
      <pre>{`before: ${JSON.stringify(item.change.before)}\nafter:  ${JSON.stringify(item.change.after)}`}</pre>
    ) : null}
  </li>
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
      <ul>
        {n.items.map((i) => (
          <Item item={i} />
        ))}
      </ul>
      {n.consoleUrl ? (
        <p>
          <a href={n.consoleUrl}>Open the Gatehouse console</a>
        </p>
      ) : null}
    </body>
  </html>
);
