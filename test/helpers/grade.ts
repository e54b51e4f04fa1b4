import { gradeSubmission, type GradeDeps, type SubmissionSource } from '../../src/grading/pipeline.js';
import { loadPit } from '../../src/pits/load.js';
import { sandboxFor } from './sandbox.js';

/** Loads the PIT named by id from the config's PITs folder, then grades: what `process --zip` does (a sandbox for the config unless given). */
export async function gradeById(source: SubmissionSource, pitId: string, deps: Omit<GradeDeps, 'sandbox'> & Partial<Pick<GradeDeps, 'sandbox'>>) {
  return gradeSubmission(source, await loadPit(deps.config.pitsDir, pitId), { ...deps, sandbox: deps.sandbox ?? sandboxFor(deps.config) });
}
