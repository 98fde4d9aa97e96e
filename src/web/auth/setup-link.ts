/** The file that hands the first-admin setup link to whoever installed Gatehouse (a credential until used). */
import { rmSync } from "node:fs";
import { join } from "node:path";

export const SETUP_LINK_FILE = "setup-link.txt";

/** Removes the setup-link file once the first administrator exists: a used link should not linger on disk. */
export function removeSetupLinkFile(dataDir: string): void {
  rmSync(join(dataDir, SETUP_LINK_FILE), { force: true });
}
