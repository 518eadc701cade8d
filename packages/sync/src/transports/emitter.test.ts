import { describe, expect, test } from "vitest";
import { Emitter } from "./emitter.js";

type Events = { ping: [n: number]; pair: [a: string, b: number] };

describe("Emitter", () => {
  test("delivers typed arguments in subscription order and unsubscribes", () => {
    const emitter = new Emitter<Events>();
    const seen: string[] = [];
    const off = emitter.on("pair", (a, b) => seen.push(`first ${a}${b}`));
    emitter.on("pair", (a, b) => seen.push(`second ${a}${b}`));
    emitter.emit("pair", "x", 1);
    off();
    off();
    emitter.emit("pair", "y", 2);
    expect(seen).toEqual(["first x1", "second x1", "second y2"]);
    expect(emitter.listenerCount("pair")).toBe(1);
  });

  test("the same function subscribed twice runs twice and unsubscribes independently", () => {
    const emitter = new Emitter<Events>();
    let count = 0;
    const handler = () => count++;
    const off = emitter.on("ping", handler);
    emitter.on("ping", handler);
    emitter.emit("ping", 1);
    off();
    emitter.emit("ping", 2);
    expect(count).toBe(3);
  });

  test("a throwing handler does not starve the others; the first error is rethrown", () => {
    const emitter = new Emitter<Events>();
    const seen: number[] = [];
    emitter.on("ping", () => {
      throw new Error("first");
    });
    emitter.on("ping", () => {
      throw new Error("second");
    });
    emitter.on("ping", (n) => seen.push(n));
    expect(() => emitter.emit("ping", 7)).toThrow("first");
    expect(seen).toEqual([7]);
  });

  test("subscriptions made during an emit take effect from the next emit; clear removes all", () => {
    const emitter = new Emitter<Events>();
    const seen: string[] = [];
    emitter.on("ping", () => {
      seen.push("outer");
      emitter.on("ping", () => seen.push("inner"));
    });
    emitter.emit("ping", 1);
    expect(seen).toEqual(["outer"]);
    emitter.clear();
    emitter.emit("ping", 2);
    expect(seen).toEqual(["outer"]);
    expect(emitter.listenerCount("ping")).toBe(0);
  });
});
