import { parentPort, workerData } from 'node:worker_threads';
import { EdgewardError } from '../../shared/errors.js';
import { compileRulesFileHere, type CompileJob, type CompileReply } from './rules-file.js';

/** The thread compileRulesFile starts: compiles one rules file and posts the set back, or the error. */
const { path, check, shownAs } = workerData as CompileJob;
try {
  const { set, count } = await compileRulesFileHere(path, shownAs);
  if (check) parentPort!.postMessage({ count } satisfies CompileReply);
  else {
    const { state, transfer } = set.toTransfer();
    parentPort!.postMessage({ state, count } satisfies CompileReply, transfer);
  }
} catch (e) {
  const error =
    e instanceof EdgewardError
      ? // Through JSON: the details hold the parser's errors, which toJSON renders as plain data.
        (JSON.parse(JSON.stringify(e)) as {
          code: string;
          message: string;
          field?: string;
          details?: Record<string, unknown>;
        })
      : {
          code: 'invalid_rules',
          message: `compiling rules file ${shownAs}: ${(e as Error).message}`,
          field: 'rules',
        };
  parentPort!.postMessage({ error } satisfies CompileReply);
}
