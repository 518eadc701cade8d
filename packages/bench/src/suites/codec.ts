import * as A from "@automerge/automerge";
import { HybridLogicalClock, replicaId } from "@convergent/clocks";
import { CodecRegistry } from "@convergent/codec";
import { type CrdtType, LocalReplica } from "@convergent/core";
import { toWireImage } from "@convergent/core/testing";
import { lwwMap, setKey } from "@convergent/lww-register";
import { add, orSet } from "@convergent/or-set";
import { LoroDoc } from "loro-crdt";
import * as Y from "yjs";
import { medianMs, type Result, type Suite } from "../harness.js";
import { batched } from "../peers/figures.js";

const SAMPLES = 7;

interface Codec {
  readonly encode: () => Uint8Array | string;
  readonly decode: (encoded: Uint8Array | string) => unknown;
}

function measure(suite: string, workload: string, implementation: string, codec: Codec): Result[] {
  const encoded = codec.encode();
  const bytes =
    typeof encoded === "string" ? new TextEncoder().encode(encoded).length : encoded.length;
  const encodeMs = medianMs(
    SAMPLES,
    () => undefined,
    () => codec.encode(),
  );
  const decodeMs = medianMs(
    SAMPLES,
    () => encoded,
    (input) => codec.decode(input),
  );
  const row = (metric: string, value: number, unit: string): Result => ({
    suite,
    workload,
    implementation,
    metric,
    value,
    unit,
  });
  return [
    row("bytes", bytes, "bytes"),
    row("encode", encodeMs, "ms"),
    row("decode", decodeMs, "ms"),
    row("encode throughput", bytes / 1e6 / (encodeMs / 1000), "MB/s"),
    row("decode throughput", bytes / 1e6 / (decodeMs / 1000), "MB/s"),
  ];
}

/** Ours, and JSON of the very same plain data (the wire image, replica ids already interned). */
function oursAndJson<S>(type: CrdtType<S, unknown>, state: S, workload: string): Result[] {
  const codec = new CodecRegistry({ types: [type as CrdtType<unknown, unknown>] });
  const image = toWireImage(type, state);
  return [
    ...measure("codec", workload, "convergent codec", {
      encode: () => codec.encode(type, state),
      decode: (bytes) => codec.decodeAs(type, bytes as Uint8Array),
    }),
    ...measure("codec", workload, "JSON.stringify / parse", {
      encode: () => JSON.stringify(image),
      decode: (text) => JSON.parse(text as string),
    }),
  ];
}

export const codecSuite: Suite = async ({ scale }) => {
  const n = Math.round(100_000 * scale);
  const names = Array.from({ length: n }, (_, i) => `element-${i}`);
  const results: Result[] = [];

  const setWorkload = `or-set of ${n.toLocaleString("en-US")} elements`;
  const set = new LocalReplica(orSet, replicaId("a"));
  for (const name of names) set.update((s, r) => add(s, r, name));
  results.push(...oursAndJson(orSet, set.state, setWorkload));
  const ydoc = new Y.Doc();
  const ymap = ydoc.getMap<boolean>("set");
  batched(
    n,
    (f) => ydoc.transact(f),
    (i) => ymap.set(names[i] as string, true),
  );
  results.push(
    ...measure("codec", setWorkload, "yjs (Y.Map emulation)", {
      encode: () => Y.encodeStateAsUpdate(ydoc),
      decode: (bytes) => Y.applyUpdate(new Y.Doc(), bytes as Uint8Array),
    }),
  );
  const loro = new LoroDoc();
  const lmap = loro.getMap("set");
  batched(
    n,
    (f) => {
      f();
      loro.commit();
    },
    (i) => lmap.set(names[i] as string, true),
  );
  results.push(
    ...measure("codec", setWorkload, "loro (snapshot)", {
      encode: () => loro.export({ mode: "snapshot" }),
      decode: (bytes) => LoroDoc.fromSnapshot(bytes as Uint8Array),
    }),
  );
  let am = A.from<{ set: Record<string, boolean> }>({ set: {} });
  for (let start = 0; start < n; start += 10_000) {
    am = A.change(am, (d) => {
      for (let i = start; i < Math.min(n, start + 10_000); i++) d.set[names[i] as string] = true;
    });
  }
  results.push(
    ...measure("codec", setWorkload, "automerge (save / load)", {
      encode: () => A.save(am),
      decode: (bytes) => A.load(bytes as Uint8Array),
    }),
  );

  const mapWorkload = `LWW map of ${n.toLocaleString("en-US")} keys (16-character string values)`;
  const id = replicaId("a");
  const clock = new HybridLogicalClock(id);
  const map = new LocalReplica(lwwMap, id);
  for (const name of names)
    map.update((s) => setKey(s, clock, name, `value-${name}`.slice(0, 16).padEnd(16, "-")));
  results.push(...oursAndJson(lwwMap, map.state, mapWorkload));
  return results;
};
