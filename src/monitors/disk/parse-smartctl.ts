/**
 * Parses `smartctl --json` output (smartmontools 7.x, json_format_version 1): the device list of
 * `--scan`, and the health verdict and the few attributes that predict a failing drive from
 * `-H -A`. Pure; tested on recorded output (test/fixtures/disk/smartctl).
 */
import { ProbeError } from "../monitor.js";

/** A device `smartctl --scan` found. */
export interface ScannedDevice {
  /** `/dev/sda`, `/dev/nvme0`, `/dev/bus/0`. */
  path: string;
  /** smartctl's device type (`sat`, `nvme`, `megaraid,0`). */
  type: string;
  protocol: string;
}

/** What `smartctl --json -H -A DEVICE` says about one drive. */
export interface SmartHealth {
  device: string;
  model: string | undefined;
  /** The drive's own overall verdict; undefined when smartctl could not read it. */
  passed: boolean | undefined;
  /** Reasons the drive is failing (its own verdict, an attribute failing now, an NVMe critical warning). */
  failing: string[];
  /** Early signs (reallocated, pending or uncorrectable sectors; NVMe media errors or worn out). */
  warnings: string[];
  /** smartctl's error messages when it could not read the health. */
  errors: string[];
  /** The device could not be opened for lack of privilege. */
  permissionDenied: boolean;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Parses the JSON envelope every smartctl --json answer has; throws on anything else. */
function envelope(text: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ProbeError("smartctl: output is not JSON (smartmontools older than 7.0?)");
  }
  if (!isObject(doc) || !Array.isArray(doc.json_format_version) || doc.json_format_version[0] !== 1) {
    throw new ProbeError("smartctl: unexpected JSON (no json_format_version 1)");
  }
  return doc;
}

function messages(doc: Json): { text: string; severity: string }[] {
  const m = isObject(doc.smartctl) ? doc.smartctl.messages : undefined;
  if (!Array.isArray(m)) return [];
  return m.filter(isObject).map((x) => ({ text: str(x.string) ?? "", severity: str(x.severity) ?? "" }));
}

/** Parses `smartctl --json --scan`. */
export function parseSmartctlScan(text: string): ScannedDevice[] {
  const doc = envelope(text);
  if (doc.devices === undefined) return [];
  if (!Array.isArray(doc.devices)) throw new ProbeError("smartctl --scan: devices is not a list");
  return doc.devices.filter(isObject).flatMap((d) => {
    const path = str(d.name);
    return path ? [{ path, type: str(d.type) ?? "", protocol: str(d.protocol) ?? "" }] : [];
  });
}

/** ATA attributes whose raw count is an early sign of a failing drive (Backblaze's short list). */
const ATA_WARNING_ATTRIBUTES: Record<number, string> = {
  5: "reallocated sectors",
  187: "reported uncorrectable errors",
  197: "pending sectors",
  198: "offline uncorrectable sectors",
};

function ataFindings(doc: Json, failing: string[], warnings: string[]): void {
  const table = isObject(doc.ata_smart_attributes) && Array.isArray(doc.ata_smart_attributes.table) ? doc.ata_smart_attributes.table : [];
  for (const a of table.filter(isObject)) {
    const id = num(a.id);
    const name = str(a.name) ?? `attribute ${id}`;
    if (str(a.when_failed) === "now") failing.push(`${name} is below its failure threshold now`);
    const raw = isObject(a.raw) ? num(a.raw.value) : undefined;
    if (id !== undefined && ATA_WARNING_ATTRIBUTES[id] && raw !== undefined && raw > 0) warnings.push(`${raw} ${ATA_WARNING_ATTRIBUTES[id]}`);
  }
}

function nvmeFindings(doc: Json, failing: string[], warnings: string[]): void {
  const log = doc.nvme_smart_health_information_log;
  if (!isObject(log)) return;
  const critical = num(log.critical_warning);
  if (critical) failing.push(`NVMe critical warning 0x${critical.toString(16).padStart(2, "0")}`);
  const media = num(log.media_errors);
  if (media) warnings.push(`${media} NVMe media errors`);
  const used = num(log.percentage_used);
  if (used !== undefined && used >= 100) warnings.push(`${used}% of its rated endurance used`);
}

/** Parses `smartctl --json -H -A DEVICE` (any exit status: smartctl's is a bit mask). */
export function parseSmartctlHealth(text: string): SmartHealth {
  const doc = envelope(text);
  const device = (isObject(doc.device) ? str(doc.device.name) : undefined) ?? "(unknown device)";
  const passed = isObject(doc.smart_status) && typeof doc.smart_status.passed === "boolean" ? doc.smart_status.passed : undefined;
  const failing: string[] = [];
  const warnings: string[] = [];
  if (passed === false) failing.push("SMART overall-health self-assessment: FAILED");
  ataFindings(doc, failing, warnings);
  nvmeFindings(doc, failing, warnings);
  const errors = messages(doc).filter((m) => m.severity === "error").map((m) => m.text);
  return {
    device,
    model: str(doc.model_name),
    passed,
    failing,
    warnings,
    errors: passed === undefined ? errors : [],
    permissionDenied: errors.some((e) => /permission denied|operation not permitted/i.test(e)),
  };
}
