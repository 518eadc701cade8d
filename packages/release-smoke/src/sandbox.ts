import vm from "node:vm";

/**
 * Runs a classic script in a fresh V8 context that has only the ECMAScript globals plus the few
 * Web APIs the packages use (TextEncoder, TextDecoder) and `report`: no `process`, `Buffer`,
 * `require` or timers, so code that leans on Node fails here as it would in a browser. The Web
 * APIs are defined inside the context, so the bytes they return are the context's own
 * Uint8Arrays, as in a page.
 */
export function runInBrowserLikeSandbox(code: string): { reports: string[]; globals: string[] } {
  const reports: string[] = [];
  const context = vm.createContext({});
  const install = vm.runInContext(
    `(function (encodeUtf8, makeDecoder, report) {
      globalThis.TextEncoder = class TextEncoder {
        get encoding() { return "utf-8"; }
        encode(input = "") { return new Uint8Array(encodeUtf8(String(input))); }
      };
      globalThis.TextDecoder = class TextDecoder {
        #decode;
        constructor(label = "utf-8", options = {}) {
          this.#decode = makeDecoder(String(label), options.fatal === true, options.ignoreBOM === true);
        }
        decode(input, options) { return this.#decode(input, options); }
      };
      globalThis.report = (text) => report(String(text));
    })`,
    context,
  );
  const encoder = new TextEncoder();
  install(
    (text: string) => encoder.encode(text),
    (label: string, fatal: boolean, ignoreBOM: boolean) => {
      const decoder = new TextDecoder(label, { fatal, ignoreBOM });
      return (input?: Uint8Array, options?: { stream?: boolean }) => decoder.decode(input, options);
    },
    (text: string) => reports.push(text),
  );
  const globals = vm.runInContext(
    `["process", "Buffer", "require", "module", "setTimeout", "global"].filter((name) => typeof globalThis[name] !== "undefined")`,
    context,
  );
  vm.runInContext(code, context, { filename: "browser-bundle.js", timeout: 30_000 });
  return { reports, globals: [...globals] };
}
