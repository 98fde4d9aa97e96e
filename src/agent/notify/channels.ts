/**
 * Builds the configured delivery channels, and the routes the alert engine uses to decide
 * which channel gets which notification.
 */
import type { AlertsConfig } from "../alerts/config.js";
import type { ChannelRoute } from "../alerts/engine.js";
import type { Channel } from "./channel.js";
import { emailChannel } from "./email.js";

/** Every channel the config enables, in a stable order. */
export function buildChannels(alerts: AlertsConfig): Channel[] {
  const out: Channel[] = [];
  if (alerts.email) out.push(emailChannel(alerts.email));
  return out;
}

/** The engine's view of the channels. */
export function routesOf(channels: readonly Channel[]): ChannelRoute[] {
  return channels.map((c) => ({ channel: c.name, minSeverity: c.minSeverity }));
}
