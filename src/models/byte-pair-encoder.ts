import { readFileSync } from 'node:fs';

/** o200k_base's pre-tokenizer (tiktoken's pattern, as gpt-tokenizer writes it for JavaScript). */
const CONTRACTION = String.raw`(?:'(?:[sS]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE]))?`;
const O200K_SPLIT = new RegExp(
  [
    String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+${CONTRACTION}`,
    String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*${CONTRACTION}`,
    String.raw`\p{N}{1,3}`,
    String.raw` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
    String.raw`\s*[\r\n]+`,
    String.raw`\s+(?!\S)`,
    String.raw`\s+`,
  ].join('|'),
  'gu',
);

const NONE = -1;
/** Merged pieces kept: at most a few MB (most are a word). */
const MERGED_PIECES = 4096;
/** Longer pieces are not kept: the tokenizer hands in runs of at most 256 characters. */
const MERGED_PIECE_CHARS = 256;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const PAD = 64;
const BAD = 65;
const EQUALS = 0x3d;
/** Each byte's base64 value, PAD for `=`, BAD for anything else. */
const BASE64 = new Uint8Array(256).fill(BAD);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].forEach(
  (c, i) => (BASE64[c.charCodeAt(0)] = i),
);
BASE64['='.charCodeAt(0)] = PAD;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * tiktoken's byte-pair encoding, with its ranks in three typed arrays (~4 MB) instead of
 * gpt-tokenizer's map of 200,000 strings: loading that took ~0.3 s of the event loop and ~90 MiB of
 * RSS (15.7 MB live), measured in bench/results/analysis.md. The ids are the library's (a unit test
 * compares them); special tokens' names are always ordinary text.
 */
export class BytePairEncoder {
  /** Every token's bytes, in rank order; token r is bytes[starts[r]] to bytes[starts[r + 1]]. */
  private readonly bytes: Uint8Array;
  private readonly starts: Uint32Array;
  /** Open addressing on the bytes' FNV-1a hash: rank + 1, or 0 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private piece = Buffer.allocUnsafe(1024);
  private bounds = new Int32Array(1025);
  private pairs = new Int32Array(1025);
  /** Pieces that took merging, and their ids: words recur, and a long run is cut into like slices. */
  private readonly merged = new Map<string, number[]>();

  /** From a `.tiktoken` file: one line per rank, the token's bytes in base64, a space, the rank. */
  static fromTiktokenFile(path: string): BytePairEncoder {
    return new BytePairEncoder(readFileSync(path));
  }

  private constructor(file: Buffer) {
    // A first pass for the exact sizes: no array to grow, copy or leave behind.
    let lines = file.length > 0 && file[file.length - 1] !== NEWLINE ? 1 : 0;
    let total = 0;
    let chars = 0;
    let inToken = true;
    for (let i = 0; i < file.length; i++) {
      const byte = file[i];
      if (byte === NEWLINE) {
        lines++;
        inToken = true;
      } else if (byte === SPACE) {
        total += (chars * 6) >> 3;
        chars = 0;
        inToken = false;
      } else if (inToken && byte !== EQUALS) chars++;
    }
    const bytes = new Uint8Array(total);
    const starts = new Uint32Array(lines + 1);
    let size = 0;
    let rank = 0;
    let at = 0;
    while (at < file.length) {
      starts[rank] = size;
      // Base64 by hand: no string or buffer per line.
      let bits = 0;
      let held = 0;
      for (; at < file.length && file[at] !== SPACE; at++) {
        const value = BASE64[file[at]];
        if (value === PAD) continue;
        if (value === BAD) throw new Error(`The ranks file has no base64 at line ${rank + 1}`);
        bits = (bits << 6) | value;
        held += 6;
        if (held >= 8) {
          held -= 8;
          bytes[size++] = (bits >> held) & 0xff;
        }
      }
      let written = 0;
      for (at++; at < file.length && file[at] !== NEWLINE; at++) {
        written = written * 10 + file[at] - 0x30;
      }
      at++;
      if (written !== rank)
        throw new Error(`The ranks file is not in rank order at line ${rank + 1}`);
      rank++;
    }
    starts[rank] = size;
    if (rank !== lines || size !== total)
      throw new Error('The ranks file is not one token per line');
    this.bytes = bytes;
    this.starts = starts;
    let capacity = 1;
    while (capacity < rank * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    for (let r = 0; r < rank; r++) {
      let slot = hash(this.bytes, this.starts[r], this.starts[r + 1]) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = r + 1;
    }
  }

  /** The token ids of `text`. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const [piece] of text.matchAll(O200K_SPLIT)) this.encodePiece(piece, ids);
    return ids;
  }

  /** The bytes token `id` stands for (a view: do not change them). */
  tokenBytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.starts.length - 1) {
      throw new Error(`Token ${id} is not in the byte pair encoder.`);
    }
    return this.bytes.subarray(this.starts[id], this.starts[id + 1]);
  }

  /** The text of `ids`; bytes that make no whole character decode to U+FFFD. */
  decode(ids: number[]): string {
    const parts = ids.map((id) => this.tokenBytes(id));
    return Buffer.concat(parts).toString('utf8');
  }

  private encodePiece(text: string, ids: number[]): void {
    if (this.piece.length < text.length * 3) this.grow(text.length * 3);
    const piece = this.piece;
    const n = piece.write(text, 0, 'utf8');
    const whole = this.rankOf(piece, 0, n);
    if (whole !== NONE) {
      ids.push(whole);
      return;
    }
    const known = this.merged.get(text);
    if (known) {
      for (const id of known) ids.push(id);
      return;
    }
    const first = ids.length;
    // tiktoken's merge: the adjacent pair of lowest rank is merged (the first of equals), until
    // no pair is a token. bounds[i] is where part i starts; pairs[i] the rank of parts i and i + 1.
    const bounds = this.bounds;
    const pairs = this.pairs;
    let parts = n;
    for (let i = 0; i <= n; i++) bounds[i] = i;
    for (let i = 0; i < n - 1; i++) pairs[i] = this.rankOf(piece, i, i + 2);
    while (parts > 1) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i < parts - 1; i++) {
        const rank = pairs[i];
        if (rank !== NONE && (best === NONE || rank < best)) {
          best = rank;
          at = i;
        }
      }
      if (at < 0) break;
      bounds.copyWithin(at + 1, at + 2, parts + 1);
      pairs.copyWithin(at + 1, at + 2, parts);
      parts--;
      pairs[at] = at + 1 < parts ? this.rankOf(piece, bounds[at], bounds[at + 2]) : NONE;
      if (at > 0) pairs[at - 1] = this.rankOf(piece, bounds[at - 1], bounds[at + 1]);
    }
    for (let i = 0; i < parts; i++) ids.push(this.rankOf(piece, bounds[i], bounds[i + 1]));
    if (text.length > MERGED_PIECE_CHARS) return;
    if (this.merged.size >= MERGED_PIECES) this.merged.clear();
    this.merged.set(text, ids.slice(first));
  }

  private rankOf(source: Uint8Array, from: number, to: number): number {
    const bytes = this.bytes;
    const starts = this.starts;
    const length = to - from;
    let slot = hash(source, from, to) & this.mask;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0) return NONE;
      const start = starts[entry - 1];
      if (starts[entry] - start === length) {
        let same = true;
        for (let i = 0; i < length; i++) {
          if (bytes[start + i] !== source[from + i]) {
            same = false;
            break;
          }
        }
        if (same) return entry - 1;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(size: number): void {
    this.piece = Buffer.allocUnsafe(size);
    this.bounds = new Int32Array(size + 1);
    this.pairs = new Int32Array(size + 1);
  }
}

function hash(bytes: Uint8Array, from: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h >>> 0;
}
