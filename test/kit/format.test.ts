import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/kit/config-schema.js";
import { compactDuration, formatBytes, roughAge, spokenDuration, utcMinuteText, utcText, wholeDays } from "../../src/kit/format.js";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe("compactDuration (the config's syntax)", () => {
  it.each([
    [2 * M, "2m"],
    [H + 30 * M, "1h30m"],
    [26 * H, "1d2h"],
    [3 * D, "3d"],
    [90 * S, "1m30s"],
    [D + S, "1d1s"],
    [250, "250ms"],
    [0, "0ms"],
    [1500, "1s"], // below a second is dropped once there is a whole unit
  ])("%d ms → %s", (ms, text) => {
    expect(compactDuration(ms)).toBe(text);
  });

  it("reads back through the config's parser for whole seconds", () => {
    for (const ms of [S, 59 * S, 2 * M, H + 30 * M, 26 * H, 3 * D, 7 * D + 5 * H + 3 * M + 2 * S]) expect(parseDuration(compactDuration(ms))).toBe(ms);
  });
});

describe("spokenDuration", () => {
  it.each([
    [0, "0 s"],
    [-5 * S, "0 s"],
    [40 * S, "40 s"],
    [59 * S, "59 s"],
    [60 * S, "1 min"],
    [12 * M + 20 * S, "12 min"],
    [59 * M + 29 * S, "59 min"],
    [H, "1 h"],
    [2 * H + 5 * M, "2 h 5 min"],
    [47 * H + 59 * M, "47 h 59 min"],
    [48 * H, "2 days 0 h"],
    [3 * D + 4 * H + 10 * M, "3 days 4 h"],
  ])("%d ms → %s", (ms, text) => {
    expect(spokenDuration(ms)).toBe(text);
  });
});

describe("roughAge", () => {
  it.each([
    [0, "0 min"],
    [20 * S, "0 min"],
    [40 * M, "40 min"],
    [H, "1.0 h"],
    [5 * H + 12 * M, "5.2 h"],
    [47 * H, "47.0 h"],
    [48 * H, "2.0 days"],
    [3 * D + 2 * H + 24 * M, "3.1 days"],
  ])("%d ms → %s", (ms, text) => {
    expect(roughAge(ms)).toBe(text);
  });

  it("shows at least minMinutes", () => {
    expect(roughAge(10 * S, { minMinutes: 1 })).toBe("1 min");
    expect(roughAge(40 * M, { minMinutes: 1 })).toBe("40 min");
  });

  it("counts whole days, rounding down", () => {
    expect([0, D - 1, D, 12 * D + 23 * H].map(wholeDays)).toEqual([0, 0, 1, 12]);
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [5 * 1024 ** 2, "5.0 MiB"],
    [20 * 1024 ** 3, "20.0 GiB"],
    [3.5 * 1024 ** 4, "3.5 TiB"],
    [2 * 1024 ** 5, "2.0 PiB"],
    [2 * 1024 ** 6, "2048.0 PiB"],
  ])("%d → %s", (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe("UTC text", () => {
  it("drops milliseconds and keeps the Z; the short form is to the minute", () => {
    expect(utcText(Date.parse("2026-11-28T06:55:42.123Z"))).toBe("2026-11-28T06:55:42Z");
    expect(utcMinuteText(Date.parse("2026-11-28T06:55:42.123Z"))).toBe("2026-11-28 06:55");
  });
});
