import type { BlockRule } from '../../shared/rules/block-rule.js';
import { readRulesFile } from '../../shared/rules/parse-rules-jsonl.js';
import { countLines } from '../../shared/rules/read-rules-file.js';
import { EdgewardError } from '../../shared/errors.js';
import { RuleSet, type RuleSetState } from '../../shared/rules/rule-set.js';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Loads a rules JSONL file for a node: all or nothing. A file with any bad line is refused as a whole (at start
 * the edge does not start; on reload the old rules stay), since half a takedown list is a silent compliance gap.
 */
export async function loadRulesFile(path: string): Promise<readonly BlockRule[]> {
  return (await readChecked(path)).rules;
}

/**
 * Compiles a rules file into a rule set on a thread of its own, all or nothing like loadRulesFile. Parsing a
 * million lines makes hundreds of megabytes of short-lived garbage; on the serving thread some of it was, in some
 * runs, promoted to the old generation (V8 pretenures an allocation site it sees surviving), which left that heap
 * committed some 40 MB larger for the life of the process (the benchmark's node RSS per rule: 27 to 71 bytes from
 * one run to the next). On its own thread that garbage dies with the thread's heap, the parsing's CPU is not taken
 * between requests, and the compiled set's typed arrays are moved to the caller, not copied.
 */
export async function compileRulesFile(path: string): Promise<{ set: RuleSet; count: number }> {
  const reply = await onCompileThread(path, false);
  return { set: RuleSet.fromTransfer(reply.state!), count: reply.count };
}

/**
 * Checks a rules file as compileRulesFile would (same errors, naming the file `shownAs`), on its own thread, and
 * counts its rules.
 */
export async function checkRulesFile(path: string, shownAs = path): Promise<number> {
  return (await onCompileThread(path, true, shownAs)).count;
}

/**
 * A cluster primary's rules file: copied where only this node writes, then checked. Workers compile the copy
 * (each its own compact set; the primary holds no rules), and a worker restarted later gets the same rules as its
 * siblings even if the operator has edited the original since.
 */
export async function copyCheckedRulesFile(
  path: string,
  dir: string,
): Promise<{ copy: string; count: number }> {
  const copy = join(dir, `rules-${Date.now()}-${randomBytes(4).toString('hex')}.jsonl`);
  try {
    await copyFile(path, copy);
  } catch (e) {
    throw new EdgewardError('invalid_rules', `cannot read rules file ${path}: ${(e as Error).message}`, {
      field: 'rules',
      cause: e,
    });
  }
  try {
    // The copy's name means nothing to the operator: errors name the file they gave.
    return { copy, count: await checkRulesFile(copy, path) };
  } catch (e) {
    await rm(copy, { force: true });
    throw e;
  }
}

async function onCompileThread(
  path: string,
  check: boolean,
  shownAs = path,
): Promise<{ state?: RuleSetState; count: number }> {
  const worker = new Worker(new URL('./compile-rules-thread.js', import.meta.url), {
    workerData: { path, check, shownAs } satisfies CompileJob,
  });
  try {
    const [reply] = (await Promise.race([
      once(worker, 'message'),
      once(worker, 'exit').then(([code]) => {
        throw new EdgewardError(
          'invalid_rules',
          `compiling rules file ${path}: the thread exited with ${code}`,
          {
            field: 'rules',
          },
        );
      }),
    ])) as [CompileReply];
    if ('error' in reply) {
      const e = reply.error;
      throw new EdgewardError(e.code, e.message, {
        ...(e.field === undefined ? {} : { field: e.field }),
        ...(e.details === undefined ? {} : { details: e.details }),
      });
    }
    return reply;
  } finally {
    await worker.terminate();
  }
}

/** What compile-rules-thread.ts is given. */
export interface CompileJob {
  readonly path: string;
  /** Only check and count: the set is not sent back. */
  readonly check: boolean;
  readonly shownAs: string;
}

/** What compile-rules-thread.ts posts back. */
export type CompileReply =
  | { state?: RuleSetState; count: number }
  | { error: { code: string; message: string; field?: string; details?: Record<string, unknown> } };

/** compileRulesFile's work, on the calling thread: rule by rule into a set sized from the line count. */
export async function compileRulesFileHere(
  path: string,
  shownAs = path,
): Promise<{ set: RuleSet; count: number }> {
  // Sized from the line count: growing row arrays and table step by step would leave copies behind.
  const set = new RuleSet(await sizeFor(path));
  let count = 0;
  await readChecked(
    path,
    (rule) => {
      set.add(rule);
      count++;
    },
    shownAs,
  );
  set.trim();
  return { set, count };
}

async function sizeFor(path: string): Promise<number> {
  try {
    return await countLines(path);
  } catch {
    return 16; // readChecked reports the unreadable file with its own error
  }
}

async function readChecked(
  path: string,
  onRule?: (rule: BlockRule) => void,
  shownAs = path,
): Promise<Awaited<ReturnType<typeof readRulesFile>>> {
  let result: Awaited<ReturnType<typeof readRulesFile>>;
  try {
    result = await readRulesFile(path, onRule, shownAs);
  } catch (e) {
    if (e instanceof EdgewardError) throw e;
    throw new EdgewardError('invalid_rules', `cannot read rules file ${shownAs}: ${(e as Error).message}`, {
      field: 'rules',
      cause: e,
    });
  }
  const errors = (result.errors as readonly unknown[]).map(describeRuleError);
  if (errors.length > 0) {
    throw new EdgewardError(
      'invalid_rules',
      `${shownAs}: ${errors.length} invalid rule line(s):\n  ${errors.slice(0, 50).join('\n  ')}${errors.length > 50 ? `\n  ... and ${errors.length - 50} more` : ''}`,
      {
        field: 'rules',
        details: { path: shownAs, errors },
      },
    );
  }
  return result;
}

/** The parser's errors name a line and a field; render them as "line 3: countries[0]: ..." whatever their exact shape. */
export function describeRuleError(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object') {
    const o = e as { line?: unknown; field?: unknown; message?: unknown; details?: { line?: unknown } };
    const line = o.line ?? o.details?.line;
    const msg = typeof o.message === 'string' ? o.message : JSON.stringify(e);
    const parts: string[] = [];
    if (line !== undefined && !msg.includes(`line ${String(line)}`)) parts.push(`line ${String(line)}`);
    if (typeof o.field === 'string' && !msg.includes(o.field)) parts.push(o.field);
    parts.push(msg);
    return parts.join(': ');
  }
  return String(e);
}
