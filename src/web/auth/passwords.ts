/**
 * Password hashing and policy. argon2id at ASVS-recommended parameters (m=19 MiB, t=2, p=1);
 * at most two hashes run at once because each takes 19 MiB and a CPU for tens of ms, and at most
 * sixteen wait: a burst of logins must not exhaust a small box nor hold a real login back.
 */
import argon2 from "argon2";
import { commonPasswords } from "./common-passwords.js";

export const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;
const MAX_CONCURRENT = 2;
/**
 * Hashes allowed to wait for a slot. Beyond them a request is answered 503 at once: an unbounded
 * queue let 200 parallel logins hold a real one back for 20 s (issue 18 item 3). At ~60 ms a hash
 * and two slots, the last in line waits about half a second.
 */
const MAX_QUEUED = 16;
/** What a refused caller is told to wait (Retry-After). */
export const BUSY_RETRY_AFTER_S = 2;

/** Thrown when every hash slot is taken and the queue is full. */
export class HashQueueFull extends Error {
  override readonly name = "HashQueueFull";
  constructor() {
    super("password hashing is busy; try again in a moment");
  }
}

/** A counting semaphore: at most `limit` tasks run at once, at most `maxQueued` wait in order, the rest are refused. */
export class Semaphore {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(
    private readonly limit: number,
    private readonly maxQueued = Number.POSITIVE_INFINITY,
  ) {}
  /** Highest number of tasks seen running at once (for the tests). */
  peak = 0;
  /** Whether a task started now would run or wait rather than be refused. */
  hasRoom(): boolean {
    return this.active < this.limit || this.queue.length < this.maxQueued;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.queue.length >= this.maxQueued) throw new HashQueueFull();
      await new Promise<void>((r) => this.queue.push(r));
    }
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
export const hashSlots = new Semaphore(MAX_CONCURRENT, MAX_QUEUED);

/** Hashes a password with argon2id (PHC string, parameters included). */
export function hashPassword(password: string): Promise<string> {
  return hashSlots.run(() => argon2.hash(password, ARGON2_PARAMS));
}

/** A hash of a random password, verified against when the account does not exist so timing does not tell. */
let dummyHash: string | undefined;

/**
 * Verifies a password; `hash` undefined runs a dummy verify and returns false. Never throws on a
 * bad hash; throws HashQueueFull when hashing is saturated. Takes its place in the hash queue in
 * the same synchronous step as the call (once the dummy hash exists), so a caller's room check
 * just before holds.
 */
export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  const h = hash ?? dummyHash ?? (dummyHash = await hashPassword(`dummy-${Math.random()}-${Date.now()}`));
  let ok: boolean;
  try {
    ok = await hashSlots.run(() => argon2.verify(h, password));
  } catch (e) {
    if (e instanceof HashQueueFull) throw e;
    return false;
  }
  return hash !== undefined && ok;
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
