import type { Readable, Writable } from 'node:stream';
import type { CommandModule } from 'yargs';
import type { Config } from '../config.js';
import { EXIT } from '../errors.js';
import type { Logger } from '../log.js';
import { displayPath } from '../paths.js';
import { completeAnswers, createPit, formatSummary, type NewPitAnswers } from '../pits/new.js';
import { promptNewPit } from '../pits/prompt.js';
import { validatePits } from '../pits/validate.js';
import { verifyPit, type GradeFn } from '../pits/verify.js';
import type { Sandbox } from '../sandbox/index.js';
import { handler } from './context.js';
import { checkPitId, checkPositiveInteger, commaList } from './flags.js';

interface PitArgs { pitsDir?: string }
interface NewArgs extends PitArgs, Partial<Omit<NewPitAnswers, 'setupCommands' | 'requiredFiles'>> {
  setupCommands?: string[];
  requiredFiles?: string[];
  force: boolean;
}
interface ValidateArgs extends PitArgs { ids: string[] }
interface VerifyArgs extends PitArgs { id: string; solution: string; check: boolean }

/** `pit new`: prompts when no --id is given (flags become the defaults), else works from flags alone. */
export async function pitNew(args: Omit<NewArgs, 'pitsDir'>, deps: { pitsDir: string; log: Logger; input: Readable; output: Writable; prompts: Writable }): Promise<number> {
  const { force, ...given } = args;
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as Partial<NewPitAnswers>;
  const { answers, overwrite } = given.id === undefined
    ? await promptNewPit(deps.pitsDir, defined, { input: deps.input, output: deps.prompts })
    : { answers: completeAnswers(defined), overwrite: force };
  const summary = await createPit(answers, { pitsDir: deps.pitsDir, overwrite, log: deps.log });
  deps.output.write(formatSummary(summary));
  return EXIT.OK;
}

/** `pit validate`: exit 0 when every PIT is valid, 2 otherwise. */
export async function pitValidate(ids: string[], deps: { pitsDir: string; timeoutMs: number; log: Logger; output: Writable }): Promise<number> {
  const reports = await validatePits(deps.pitsDir, ids, deps);
  if (reports.length === 0) deps.output.write(`no PITs in ${deps.pitsDir}\n`);
  for (const report of reports) {
    deps.output.write(`${report.problems.length ? 'FAIL' : 'ok  '} ${report.pitId}\n`);
    for (const problem of report.problems) deps.output.write(`  - ${problem}\n`);
    for (const warning of report.warnings) deps.output.write(`  warning: ${warning}\n`);
  }
  return reports.some((r) => r.problems.length) ? EXIT.USAGE : EXIT.OK;
}

/** `pit verify`: exit 0 when the reference solution scores 100 (and, with --check, matches expectedTests). */
export async function pitVerify(args: Omit<VerifyArgs, 'pitsDir'>, deps: { config: Config; log: Logger; output: Writable; signal?: AbortSignal; grade?: GradeFn; sandbox: Sandbox }): Promise<number> {
  // Loaded here: only verify needs the grading pipeline (and its sandbox).
  const grade = deps.grade ?? (await import('../grading/pipeline.js')).gradeSubmission;
  const verification = await verifyPit(
    { pitId: args.id, solution: args.solution, check: args.check },
    { config: deps.config, log: deps.log, grade, sandbox: deps.sandbox, ...(deps.signal && { signal: deps.signal }) },
  );
  const { result } = verification;
  const out = (line: string) => deps.output.write(`${line}\n`);
  if (!verification.ok) {
    out(`FAIL ${args.id}: ${result.outcome}, score ${result.score}`);
    for (const problem of verification.problems) out(`  - ${problem}`);
    out(`last lines of the run log:\n${verification.log.toString('utf8').split('\n').slice(-30).join('\n')}`);
    return EXIT.FAILED;
  }
  out(`ok   ${args.id}: ${verification.testIds.length} tests pass in ${verification.durationMs} ms`);
  if (verification.recorded) out(`  recorded expectedTests and expectedDurationMs in ${displayPath(verification.configFile)}`);
  out(`  PIT ${verification.pitHash}: the hash every result graded by this version names`);
  const { provenanceHeader } = await import('../grading/provenance.js');
  if (result.provenance) for (const line of provenanceHeader(result.provenance)) out(`  verified with ${line.replace(/^pit-runner: /, '')}`);
  return EXIT.OK;
}

const pitsDirOf = (args: PitArgs) => (args.pitsDir ? { pitsDir: args.pitsDir } : {});

const newCommand: CommandModule<PitArgs, NewArgs> = {
  command: 'new',
  describe: 'create a PIT config and template skeleton (asks for each value unless --id is given)',
  builder: (y) => y
    .option('id', { type: 'string', describe: 'PIT id, <language>-<buildTool>-<topic>-v<N>' })
    .option('language', { type: 'string', describe: 'java, python, javascript, …' })
    .option('build-tool', { type: 'string', describe: 'maven, javac, pytest, node, …' })
    .option('test-command', { type: 'string', describe: 'command that runs the tests and writes JUnit XML (default per build tool)' })
    .option('max-timeout-ms', { type: 'number', describe: 'wall-clock limit for the run (default per build tool)' })
    .option('setup-commands', { type: 'array', string: true, describe: 'commands run before the test command' })
    .option('required-files', { type: 'array', string: true, describe: 'files a submission must contain (space or comma separated)' })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing config' })
    .check((a) => {
      checkPitId('--id', a.id);
      checkPositiveInteger('--max-timeout-ms', a.maxTimeoutMs as number | undefined);
      return true;
    }),
  handler: handler<NewArgs>(async (args, ctx) => {
    const config = ctx.config(pitsDirOf(args));
    const requiredFiles = args.requiredFiles && commaList(args.requiredFiles);
    return pitNew(
      { id: args.id, language: args.language, buildTool: args.buildTool, testCommand: args.testCommand, maxTimeoutMs: args.maxTimeoutMs,
        setupCommands: args.setupCommands?.map(String), requiredFiles, force: args.force },
      { pitsDir: config.pitsDir, log: ctx.log, input: process.stdin, output: process.stdout, prompts: process.stderr },
    );
  }),
};

const validateCommand: CommandModule<PitArgs, ValidateArgs> = {
  command: 'validate [ids..]',
  describe: 'check PIT configs, templates, commands and (Maven) offline resolution; all PITs when no id is given',
  builder: (y) => y.positional('ids', { type: 'string', array: true, default: [] as string[] }),
  handler: handler<ValidateArgs>(async (args, ctx) => {
    const config = ctx.config(pitsDirOf(args));
    return pitValidate(args.ids, { pitsDir: config.pitsDir, timeoutMs: config.timeoutMs, log: ctx.log, output: process.stdout });
  }),
};

const verifyCommand: CommandModule<PitArgs, VerifyArgs> = {
  command: 'verify <id>',
  describe: 'grade the reference solution; below 100 fails; on success record expectedTests in the config',
  builder: (y) => y
    .positional('id', { type: 'string', demandOption: true })
    .option('solution', { type: 'string', demandOption: true, describe: 'the reference solution: a folder or a ZIP' })
    .option('check', { type: 'boolean', default: false, describe: 'verify without writing; also fail when the tests differ from expectedTests' })
    .check((a) => (checkPitId('pit verify', a.id), true)),
  handler: handler<VerifyArgs>(async (args, ctx) => {
    const config = ctx.config(pitsDirOf(args));
    return ctx.scope(config, async (scope) => pitVerify(args, { config, log: ctx.log, output: process.stdout, signal: ctx.signal, sandbox: await scope.sandbox() }));
  }),
};

export const pitCommand: CommandModule<object, PitArgs> = {
  builder: (y) => y
    .option('pits-dir', { type: 'string', describe: 'PIT configs folder (default: PITS_DIR, else the install\'s pits/)' })
    .command(newCommand)
    .command(validateCommand)
    .command(verifyCommand)
    .demandCommand(1, 'name a pit command: new, validate or verify'),
  handler: () => undefined,
};
