/** `--name value` flags and positional arguments, numbers only. */
export function parseArgs(argv: readonly string[]): {
  flags: Map<string, number>;
  positional: number[];
} {
  const flags = new Map<string, number>();
  const positional: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") continue;
    const [name, inline] = arg.startsWith("--")
      ? arg.slice(2).split("=", 2)
      : [undefined, undefined];
    const text = name === undefined ? arg : (inline ?? argv[++i]);
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(
        `expected a non-negative integer${name === undefined ? "" : ` for --${name}`}, got ${text}`,
      );
    }
    if (name === undefined) positional.push(value);
    else flags.set(name, value);
  }
  return { flags, positional };
}
