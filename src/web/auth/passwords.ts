/**
 * Password hashing and policy. argon2id at ASVS-recommended parameters (m=19 MiB, t=2, p=1);
 * at most two hashes run at once because each takes 19 MiB and a CPU for tens of ms, and a
 * burst of logins must not exhaust a small box.
 */
import argon2 from "argon2";
import { commonPasswords } from "./common-passwords.js";

export const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;
const MAX_CONCURRENT = 2;

/** A counting semaphore: at most `limit` tasks run at once, the rest wait in order. */
export class Semaphore {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  /** Highest number of tasks seen running at once (for the tests). */
  peak = 0;
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/** Shared by every hash and verify in the process. */
export const hashSlots = new Semaphore(MAX_CONCURRENT);

/** Hashes a password with argon2id (PHC string, parameters included). */
export function hashPassword(password: string): Promise<string> {
  return hashSlots.run(() => argon2.hash(password, ARGON2_PARAMS));
}

/** A hash of a random password, verified against when the account does not exist so timing does not tell. */
let dummyHash: Promise<string> | undefined;

/** Verifies a password; `hash` undefined runs a dummy verify and returns false. Never throws on a bad hash. */
export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  const h = hash ?? (await (dummyHash ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`)));
  try {
    const ok = await hashSlots.run(() => argon2.verify(h, password));
    return hash !== undefined && ok;
  } catch {
    return false;
  }
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, username?: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return "This password is on the list of the most common passwords; choose another.";
  if (username && lower.includes(username.toLowerCase())) return "The password must not contain the user name.";
  if (/^(.)\1+$/.test(password)) return "The password must not be one repeated character.";
  return undefined;
}
