/**
 * msgpackr writes every number outside the 32-bit integer ranges as float 64. The format writes
 * safe integers as int 64 instead (integers stay integers for readers in any language); both
 * forms are 9 bytes, so the packed body is rewritten in place: one linear pass over the tokens,
 * run only when the body holds such an integer. Doing this on the bytes, rather than handing
 * msgpackr a BigInt, spares a copy of every array that holds one (every entry of an LWW map,
 * whose timestamps are 48-bit).
 */
export function rewriteLargeIntegers(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    const token = bytes[pos] as number;
    if (token <= 0x9f || token >= 0xe0) {
      pos += 1; // fixint, fixmap and fixarray headers: their items follow as tokens of their own
    } else if (token <= 0xbf) {
      pos += 1 + (token & 0x1f);
    } else {
      switch (token) {
        case 0xcb: {
          const value = view.getFloat64(pos + 1);
          if (Number.isSafeInteger(value)) {
            const high = Math.floor(value / 0x1_0000_0000);
            bytes[pos] = 0xd3;
            view.setInt32(pos + 1, high);
            view.setUint32(pos + 5, value - high * 0x1_0000_0000);
          }
          pos += 9;
          break;
        }
        case 0xc4:
        case 0xd9:
          pos += 2 + (bytes[pos + 1] as number);
          break;
        case 0xc5:
        case 0xda:
          pos += 3 + view.getUint16(pos + 1);
          break;
        case 0xc6:
        case 0xdb:
          pos += 5 + view.getUint32(pos + 1);
          break;
        case 0xcc:
        case 0xd0:
          pos += 2;
          break;
        case 0xcd:
        case 0xd1:
        case 0xdc:
        case 0xde:
          pos += 3;
          break;
        case 0xce:
        case 0xd2:
        case 0xdd:
        case 0xdf:
          pos += 5;
          break;
        case 0xcf:
        case 0xd3:
          pos += 9;
          break;
        default:
          pos += 1; // nil and booleans; nothing else is ever packed
      }
    }
  }
}
