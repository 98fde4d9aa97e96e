/** Form posts: parsed once, validated with zod; any garbage becomes a message, never a 500. */
import { z } from "zod";
import type { Ctx } from "./context.js";

/**
 * A refused form keeps what was typed in its text fields (`submitted`, each at most 256
 * characters) so the page can show it again; which fields are echoed is the caller's choice
 * (never a password).
 */
export type FormResult<T> = { ok: true; data: T } | { ok: false; message: string; submitted?: Record<string, string> };

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

/** Reads the body as a form and validates it; non-form bodies, files and bad fields are refused. */
export async function readForm<S extends z.ZodType>(c: Ctx, schema: S): Promise<FormResult<z.output<S>>> {
  if (!FORM_TYPES.test(c.req.header("Content-Type") ?? "")) return { ok: false, message: "Expected a form submission." };
  let body: Record<string, unknown>;
  try {
    body = (await c.req.parseBody()) as Record<string, unknown>;
  } catch {
    return { ok: false, message: "The form could not be read." };
  }
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, data: r.data };
  const issue = r.error.issues[0];
  const field = issue?.path.join(".") || "form";
  const submitted = Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === "string" && e[1].length <= 256));
  return { ok: false, message: issue ? humanIssue(field, issue, body) : "The form is not valid.", submitted };
}

/** A sentence a person understands instead of zod's wording ("expected string, received undefined"). */
function humanIssue(field: string, issue: z.core.$ZodIssue, body: Record<string, unknown>): string {
  const name = field.replace(/_/g, " ");
  const given = issue.path.length === 1 ? body[String(issue.path[0])] : undefined;
  if (issue.code === "invalid_type") return given === undefined || given === "" ? `Fill in ${name}.` : `${name}: expected text.`;
  if (issue.code === "too_big") return `${name}: too long (at most ${String(issue.maximum)} characters).`;
  if (issue.code === "too_small") return `Fill in ${name}.`;
  if (issue.code === "invalid_value") return `${name}: choose one of the offered values.`;
  if (issue.code === "invalid_format") return `${name}: not in the expected format.`;
  return `${name}: ${issue.message}`;
}

/** A single-line text field: trimmed, bounded, no control characters. */
export const text = (max: number, min = 0) =>
  z
    .string()
    .max(max * 4)
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .min(min, { message: min ? "required" : undefined })
        .max(max)
        .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { message: "must not contain control characters" }),
    );

/** A secret field (password, code): kept as typed, bounded. */
export const secret = (max: number) => z.string().max(max);

/** Only same-site relative paths may be a redirect target. */
export function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(?![/\\])[A-Za-z0-9/_.\-?=&%]*$/.test(next) && next.length <= 200 ? next : "/";
}

/** A positive integer route parameter, or undefined. */
export function idParam(s: string | undefined): number | undefined {
  return s && /^[1-9][0-9]{0,15}$/.test(s) ? Number(s) : undefined;
}
