/**
 * Builds the configured delivery channels, and the routes the alert engine uses to decide
 * which channel gets which notification.
 */
import { channelNames, type AlertsConfig } from "../alerts/config.js";
import type { ChannelRoute } from "../alerts/engine.js";
import type { Channel } from "./channel.js";
import { emailChannel } from "./email.js";
import { syslogChannel } from "./syslog.js";
import { webhookChannel } from "./webhook.js";

/** Every channel the config enables, in a stable order (names from channelNames). */
export function buildChannels(alerts: AlertsConfig): Channel[] {
  const names = channelNames(alerts);
  let i = 0;
  const out: Channel[] = [];
  for (const g of alerts.email) out.push(emailChannel(g, { name: names[i++]! }));
  for (const w of alerts.webhook ?? []) out.push(webhookChannel(w, { name: names[i++]! }));
  if (alerts.syslog) out.push(syslogChannel(alerts.syslog, { name: names[i++]! }));
  if (alerts.digest && alerts.email[0]) out.push(emailChannel(alerts.email[0], { name: names[i++]!, to: alerts.digest.to ?? alerts.email[0].to, routed: false }));
  return out;
}

/** The engine's view of the channels that take alert notices. */
export function routesOf(channels: readonly Channel[]): ChannelRoute[] {
  return channels.filter((c) => c.routed).map((c) => ({ channel: c.name, minSeverity: c.minSeverity, ...(c.controls ? { controls: c.controls } : {}) }));
}
