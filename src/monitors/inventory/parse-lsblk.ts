/**
 * Parses `lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINT,SIZE` into the mounted volumes and whether
 * each sits on dm-crypt (LUKS). lsblk nests a device's holders under `children`, so a volume is
 * encrypted when it or any ancestor is a `crypt` device (or a `crypto_LUKS` container).
 */
import { ProbeError } from "../monitor.js";

export interface MountedVolume {
  device: string;
  mountpoint: string;
  fstype: string | null;
  encrypted: boolean;
  /** Holds data that needs encryption at rest (not /boot, /boot/efi, swap, tmpfs, read-only images). */
  dataVolume: boolean;
}

interface LsblkNode {
  name?: unknown;
  type?: unknown;
  fstype?: unknown;
  mountpoint?: unknown;
  children?: unknown;
}

const NOT_DATA_MOUNTS = new Set(["/boot", "/boot/efi", "/efi", "[SWAP]"]);
const NOT_DATA_FSTYPES = new Set(["swap", "tmpfs", "squashfs", "iso9660", "udf"]);

/** Throws ProbeError when the text is not lsblk's JSON. */
export function parseLsblk(text: string): MountedVolume[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ProbeError("lsblk -J printed something that is not JSON");
  }
  const top = (doc as { blockdevices?: unknown } | null)?.blockdevices;
  if (!Array.isArray(top)) throw new ProbeError('lsblk -J output has no "blockdevices" list');

  const out: MountedVolume[] = [];
  const walk = (nodes: unknown[], encryptedAbove: boolean) => {
    for (const raw of nodes) {
      if (typeof raw !== "object" || raw === null) throw new ProbeError("lsblk -J: a block device entry is not an object");
      const n = raw as LsblkNode;
      if (typeof n.name !== "string") throw new ProbeError("lsblk -J: a block device has no name");
      const fstype = typeof n.fstype === "string" ? n.fstype : null;
      const encrypted = encryptedAbove || n.type === "crypt";
      if (typeof n.mountpoint === "string" && n.mountpoint !== "") {
        out.push({
          device: n.name,
          mountpoint: n.mountpoint,
          fstype,
          encrypted,
          dataVolume: !NOT_DATA_MOUNTS.has(n.mountpoint) && !(fstype !== null && NOT_DATA_FSTYPES.has(fstype)),
        });
      }
      if (n.children !== undefined) {
        if (!Array.isArray(n.children)) throw new ProbeError(`lsblk -J: children of ${n.name} is not a list`);
        walk(n.children, encrypted || fstype === "crypto_LUKS");
      }
    }
  };
  walk(top, false);
  return out;
}
