/**
 * Output helpers: headings, aligned tables and units. Colour only on a terminal that has not
 * asked for none (NO_COLOR), so piped output and the test see plain text.
 */
const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const style = (code: string) => (text: string) =>
  colour ? `\u001b[${code}m${text}\u001b[0m` : text;

export const bold = style("1");
export const dim = style("2");
export const green = style("32");
export const yellow = style("33");
export const red = style("31");

export function say(line = ""): void {
  process.stdout.write(`${line}\n`);
}

export function heading(text: string): void {
  say();
  say(bold(text));
}

/** Visible width, ignoring colour codes. */
function width(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes.
  return text.replace(/\u001b\[\d+m/g, "").length;
}

/**
 * Prints rows under a header with every column padded to its widest cell; columns listed in
 * `right` are right-aligned (numbers).
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): void {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: readonly string[], paint: (s: string) => string = (s) => s) =>
    `  ${cells
      .map((cell, i) => {
        const pad = " ".repeat((widths[i] ?? 0) - width(cell));
        return right.includes(i) ? pad + cell : cell + pad;
      })
      .map(paint)
      .join("  ")
      .trimEnd()}`;
  say(line(header, dim));
  for (const row of rows) say(line(row));
}

export function ms(value: number | undefined): string {
  if (value === undefined) return "–";
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

export function bytes(value: number): string {
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}

/** A wall-clock HLC time as HH:MM:SS.mmm (UTC), with the logical counter when it is set. */
export function clockTime(wallTime: number, logical: number): string {
  const time = new Date(wallTime).toISOString().slice(11, 23);
  return logical > 0 ? `${time}+${logical}` : time;
}

export const quote = (value: string): string => JSON.stringify(value);
export const setOf = (values: readonly string[]): string => `{${values.join(", ")}}`;
export const listOf = (values: readonly string[]): string => `[${values.map(quote).join(", ")}]`;
