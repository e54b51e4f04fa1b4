import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import type { Config } from '../config.js';
import { EXIT, RunnerError, usageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Graded } from '../grading/pipeline.js';
import type { Sandbox } from '../sandbox/index.js';
import type { SubmissionOutcome } from '../submissions/run.js';
import { isUuid } from '../ids.js';
import type { PitConfig } from '../grading/types.js';
import { FORMATS, type Format } from '../report/format-names.js';
import { handler } from './context.js';
import { checkPitId } from './flags.js';

interface ProcessArgs {
  zip?: string;
  pit?: string;
  out?: string;
  pitsDir?: string;
  submissionId?: string;
  message?: string;
  force: boolean;
  format?: Format;
  json: boolean;
}

/** Local mode: grade a ZIP (or a folder) against a PIT; no database, no AWS. */
export async function processLocal(args: { zip: string; pit: string; out?: string; format?: Format }, deps: { config: Config; log: Logger; signal?: AbortSignal; sandbox: Sandbox }): Promise<Graded & { pit: PitConfig }> {
  const info = await stat(args.zip).catch(() => { throw usageError(`--zip: no such file: ${args.zip}`); });
  // loaded here, not with the command: a stored submission's run connects to its database first
  const [{ loadPit }, { gradeSubmission }, { formatResult }] = await Promise.all([import('../pits/load.js'), import('../grading/pipeline.js'), import('../report/formats.js')]);
  const pit = await loadPit(deps.config.pitsDir, args.pit).catch((err: RunnerError) => {
    throw err.code === 'UNKNOWN_PIT' ? usageError(`--pit: ${err.message}`) : err;
  });
  const source = info.isDirectory() ? { dir: args.zip } : { zipFile: args.zip };
  const graded = await gradeSubmission(source, pit, deps);
  if (args.out) {
    await mkdir(args.out, { recursive: true });
    await writeFile(path.join(args.out, 'run.log'), graded.log);
    await writeFile(path.join(args.out, 'result.json'), `${JSON.stringify(graded.result, null, 2)}\n`);
    if (args.format && args.format !== 'json') {
      await writeFile(path.join(args.out, `result.${args.format}.${args.format === 'junit' ? 'xml' : 'json'}`), formatResult(graded.result, args.format, pit.weights));
    }
  }
  return { ...graded, pit };
}

async function parseOrUsage(body: string) {
  const { parseMessage } = await import('../submissions/message.js');
  try {
    return parseMessage(body);
  } catch (err) {
    throw usageError(`--message: ${(err as Error).message}`);
  }
}

function describe(outcome: SubmissionOutcome): Record<string, unknown> {
  if (outcome.kind === 'graded') return { graded: true, attempt: outcome.attempt, published: outcome.published, current: outcome.current, ...outcome.result };
  const reasons = { skipped: 'already final', busy: 'being graded by another runner', missing: 'no such submission' } as const;
  return { graded: false, reason: reasons[outcome.kind] };
}

export const processCommand: CommandModule<object, ProcessArgs> = {
  builder: (y) => y
    .option('zip', { type: 'string', describe: 'local mode: the submission ZIP (or a folder)' })
    .option('pit', { type: 'string', describe: 'local mode: the PIT id' })
    .option('out', { type: 'string', describe: 'local mode: write run.log and result.json to this folder' })
    .option('pits-dir', { type: 'string', describe: 'PIT configs folder (default: PITS_DIR, else the install\'s pits/)' })
    .option('submission-id', { type: 'string', describe: 'grade the stored submission with this id' })
    .option('message', { type: 'string', describe: 'grade the submission named by this SQS message body (JSON)' })
    .option('force', { type: 'boolean', default: false, describe: 'regrade even when the submission is already final' })
    .option('format', { choices: FORMATS, describe: 'print the result as: json (pit-runner\'s, the default off a terminal), student (what a student may see), gradescope, exercism, junit' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON even on a terminal (--format json)' })
    .check((a) => {
      const modes = [a.zip !== undefined, a.submissionId !== undefined, a.message !== undefined].filter(Boolean).length;
      if (modes !== 1) throw new Error('give exactly one of --zip (with --pit), --submission-id, --message');
      if (a.zip !== undefined && !a.pit) throw new Error('--zip needs --pit');
      if (a.pit !== undefined && a.zip === undefined) throw new Error('--pit goes with --zip');
      if (a.submissionId !== undefined && !isUuid(a.submissionId)) throw new Error(`--submission-id: ${JSON.stringify(a.submissionId)} is not a UUID`);
      checkPitId('--pit', a.pit);
      return true;
    }),
  handler: handler<ProcessArgs>(async (args, ctx) => {
    const config = ctx.config({ ...(args.pitsDir ? { pitsDir: args.pitsDir } : {}) });
    // a malformed body is a usage error: refused before anything is opened
    const message = args.message === undefined ? undefined : await parseOrUsage(args.message);
    return ctx.scope(config, async (scope) => {
      if (args.zip !== undefined) {
        const format = args.format ?? (args.json ? 'json' : undefined);
        const graded = await processLocal({ zip: args.zip, pit: args.pit!, ...(args.out && { out: args.out }), ...(format && { format }) }, { config, log: ctx.log, signal: ctx.signal, sandbox: await scope.sandbox() });
        const [{ formatResult }, { terminalReport, wantsColor }] = await Promise.all([import('../report/formats.js'), import('../report/terminal.js')]);
        process.stdout.write(!format && process.stdout.isTTY
          ? terminalReport(graded.result, { color: wantsColor(process.stdout) })
          : formatResult(graded.result, format ?? 'json', graded.pit.weights));
        return EXIT.OK;
      }
      const deps = await scope.submissionDeps(); // the database first (see runtime.ts)
      const [{ runSubmission }, { processMessage }] = await Promise.all([import('../submissions/run.js'), import('../submissions/message.js')]);
      const outcome = message
        ? await processMessage(message, deps)
        : await runSubmission(args.submissionId!, deps, { force: args.force });
      process.stdout.write(`${JSON.stringify(describe(outcome))}\n`);
      if (outcome.kind === 'missing') throw new RunnerError('SUBMISSION_NOT_FOUND', `no submission ${args.submissionId ?? 'named by the message'} in the database`);
      return outcome.kind === 'busy' ? EXIT.TRANSIENT : EXIT.OK;
    });
  }),
};
