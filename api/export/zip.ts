/**
 * A minimal streaming zip writer, enough for XLSX: entries are deflated as their bytes arrive and
 * written one after another (sizes and CRC in a data descriptor after each entry, and in the central
 * directory at the end), so a large sheet is never held in memory. No zip64: each entry and the whole
 * archive must stay under 4 GiB (a 100,000-row ledger is ~40 MB of XML, a few MB deflated).
 */
import { once } from 'node:events';
import * as zlib from 'node:zlib';

/** An entry: its name and its bytes, as a string or as chunks arriving over time. */
export interface ZipEntrySource { name: string; data: string | Buffer | AsyncIterable<string | Buffer> }

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (the zip one) of `buf`, continuing from `crc`. Pure JS: engines allow Node 20.11, before zlib.crc32 (20.15). */
export function crc32(buf: Buffer, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// Node's own (C) CRC-32 when it has one: the same result, several times faster.
const nativeCrc32 = (zlib as unknown as { crc32?: (data: Buffer, value?: number) => number }).crc32;
const crc = nativeCrc32 ?? crc32;

const FLAGS = 0x0008 | 0x0800; // sizes in a data descriptor; UTF-8 names
const DEFLATE = 8;
const VERSION = 20;

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

async function* chunksOf(data: ZipEntrySource['data']): AsyncGenerator<Buffer> {
  if (typeof data === 'string' || Buffer.isBuffer(data)) {
    yield Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
    return;
  }
  for await (const c of data) yield Buffer.isBuffer(c) ? c : Buffer.from(c, 'utf8');
}

interface Written { name: Buffer; crc: number; compressed: number; size: number; offset: number }

/**
 * The archive's bytes, produced as the consumer reads them (wrap in `Readable.from` for a stream with
 * backpressure: an entry's source is pulled no faster than the archive is taken).
 */
export async function* zipChunks(entries: Iterable<ZipEntrySource> | AsyncIterable<ZipEntrySource>, opts: { date?: Date; level?: number } = {}): AsyncGenerator<Buffer> {
  const { time, date } = dosDateTime(opts.date ?? new Date());
  const written: Written[] = [];
  let offset = 0;
  for await (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(FLAGS, 6);
    local.writeUInt16LE(DEFLATE, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt16LE(name.length, 26);
    yield Buffer.concat([local, name]);
    const w: Written = { name, crc: 0, compressed: 0, size: 0, offset };
    offset += local.length + name.length;

    const deflate = zlib.createDeflateRaw({ level: opts.level ?? 6 });
    const out: Buffer[] = [];
    deflate.on('data', (b: Buffer) => out.push(b));
    const ended = once(deflate, 'end');
    const take = function* () {
      while (out.length) {
        const b = out.shift()!;
        w.compressed += b.length;
        yield b;
      }
    };
    for await (const chunk of chunksOf(entry.data)) {
      w.crc = crc(chunk, w.crc);
      w.size += chunk.length;
      if (!deflate.write(chunk)) await once(deflate, 'drain');
      yield* take();
    }
    deflate.end();
    await ended;
    yield* take();
    offset += w.compressed;

    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(w.crc, 4);
    descriptor.writeUInt32LE(w.compressed, 8);
    descriptor.writeUInt32LE(w.size, 12);
    yield descriptor;
    offset += descriptor.length;
    if (w.size > 0xffffffff || offset > 0xffffffff) throw new RangeError('zip: an entry or the archive exceeds 4 GiB (no zip64)');
    written.push(w);
  }

  const cdStart = offset;
  const central: Buffer[] = [];
  for (const w of written) {
    const h = Buffer.alloc(46);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE(VERSION, 4);
    h.writeUInt16LE(VERSION, 6);
    h.writeUInt16LE(FLAGS, 8);
    h.writeUInt16LE(DEFLATE, 10);
    h.writeUInt16LE(time, 12);
    h.writeUInt16LE(date, 14);
    h.writeUInt32LE(w.crc, 16);
    h.writeUInt32LE(w.compressed, 20);
    h.writeUInt32LE(w.size, 24);
    h.writeUInt16LE(w.name.length, 28);
    h.writeUInt32LE(w.offset, 42);
    central.push(h, w.name);
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(written.length, 8);
  eocd.writeUInt16LE(written.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(cdStart, 16);
  yield Buffer.concat([cd, eocd]);
}
