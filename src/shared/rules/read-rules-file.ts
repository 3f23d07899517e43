import { open } from 'node:fs/promises';
import { EdgewardError } from '../errors.js';
import type { BlockRule } from './block-rule.js';
import { RulesParser, type ParsedRules } from './parse-rules-jsonl.js';

/**
 * Reads a JSON-lines rules file as a stream, so a file of millions of rules is never held whole as text. With
 * `onRule`, rules are handed over one by one and not collected (`rules` is then empty).
 */
export async function readRulesFile(
  path: string,
  onRule?: (rule: BlockRule) => void,
  /** The name errors give the file (a private copy is reported under the name of the file it copies). */
  shownAs = path,
): Promise<ParsedRules> {
  const parser = new RulesParser(onRule);
  try {
    await forEachLine(path, (line) => parser.line(line));
  } catch (e) {
    throw new EdgewardError(
      'invalid_config',
      `cannot read the rules file ${shownAs}: ${(e as Error).message}`,
      {
        field: 'rules',
        cause: e,
      },
    );
  }
  return { rules: parser.rules, errors: parser.errors };
}

/** Bytes read at a time; a longer line grows the buffer. */
const CHUNK_BYTES = 64 * 1024;
const LF = 10;
const CR = 13;

/**
 * Calls `onLine` for every line of a UTF-8 file, split as node:readline does with `crlfDelay: Infinity` ('\n',
 * '\r\n' and a lone '\r' end a line; a last line without an end counts; no line after a final one).
 *
 * The file is read through one buffer, reused for every read, and the lines of a read are handed over in one
 * synchronous pass. A read stream with readline allocates a fresh 64 KiB buffer (malloc'd, outside the V8 heap)
 * for each chunk, and queues each chunk's lines as it goes: reading a 140 MB file that way left some 20 MB of
 * freed chunks in the C heap and, because a young-generation collection in the middle of it found the queued
 * lines alive and promoted them, grew the old generation by as much again, all of it resident for the life of the
 * process. Here only the line being parsed is alive at any time.
 */
export async function forEachLine(
  path: string,
  onLine: (line: string) => void,
  chunkBytes = CHUNK_BYTES,
): Promise<void> {
  const file = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(chunkBytes);
    let end = 0; // bytes of buf holding file data
    let eof = false;
    while (!eof) {
      if (end === buf.length) {
        // One line fills the whole buffer: make room for the rest of it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, end);
        buf = bigger;
      }
      const { bytesRead } = await file.read(buf, end, buf.length - end, null);
      if (bytesRead === 0) eof = true;
      end += bytesRead;
      const data = buf.subarray(0, end);
      let start = 0; // first byte of the current line
      let lf = -2; // next '\n' at or after start (-1: none; -2: not looked up yet)
      let cr = -2;
      for (;;) {
        if (lf !== -1 && lf < start) lf = data.indexOf(LF, start);
        if (cr !== -1 && cr < start) cr = data.indexOf(CR, start);
        let stop: number;
        let next: number;
        if (cr !== -1 && (lf === -1 || cr < lf)) {
          // A '\r' followed by '\n' ends one line; whether it is needs the next byte.
          if (cr + 1 === end && !eof) break;
          stop = cr;
          next = cr + 1 < end && data[cr + 1] === LF ? cr + 2 : cr + 1;
        } else if (lf !== -1) {
          stop = lf;
          next = lf + 1;
        } else break;
        onLine(data.toString('utf8', start, stop));
        start = next;
      }
      if (eof) {
        if (start < end) onLine(data.toString('utf8', start, end));
      } else if (start > 0) {
        // The unfinished line moves to the front of the buffer; the next read appends to it.
        buf.copy(buf, 0, start, end);
        end -= start;
      }
    }
  } finally {
    await file.close();
  }
}

/**
 * Line ends in a file plus one: never fewer than the lines forEachLine yields, so a capacity to size for. Read
 * through one reused buffer.
 */
export async function countLines(path: string, chunkBytes = CHUNK_BYTES): Promise<number> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let lines = 1;
    let crEnded = false; // the previous read ended with '\r'
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return crEnded ? lines + 1 : lines;
      const data = buf.subarray(0, bytesRead);
      if (crEnded && data[0] !== LF) lines++;
      for (let i = data.indexOf(LF); i !== -1; i = data.indexOf(LF, i + 1)) lines++;
      // A '\r' not followed by '\n' ends a line too.
      for (let i = data.indexOf(CR); i !== -1 && i + 1 < bytesRead; i = data.indexOf(CR, i + 1))
        if (data[i + 1] !== LF) lines++;
      crEnded = data[bytesRead - 1] === CR;
    }
  } finally {
    await file.close();
  }
}
