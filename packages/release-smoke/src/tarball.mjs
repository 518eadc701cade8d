/**
 * Reads a packed `.tgz` in memory: npm tarballs are plain ustar archives, so a few lines replace
 * an archive library and let the checks see every file's bytes.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const BLOCK = 512;

/** @param {Buffer} header @param {number} start @param {number} length */
function field(header, start, length) {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

/**
 * Every regular file in the tarball, keyed by its path without the leading `package/`.
 * @param {string} path
 * @returns {Map<string, Buffer>}
 */
export function readTarball(path) {
  const archive = gunzipSync(readFileSync(path));
  /** @type {Map<string, Buffer>} */
  const files = new Map();
  /** @type {string | undefined} */
  let longName;
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = field(header, 156, 1);
    const prefix = field(header, 345, 155);
    const body = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") {
      // A pax header may carry a path longer than the 100-byte name field.
      const match = /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"));
      longName = match?.[1];
      continue;
    }
    if (type !== "0" && type !== "") continue;
    const name =
      longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    files.set(name.replace(/^package\//, ""), Buffer.from(body));
  }
  return files;
}
