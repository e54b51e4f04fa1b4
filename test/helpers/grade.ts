import { gradeSubmission, type GradeDeps, type SubmissionSource } from '../../src/grading/pipeline.js';
import { loadPit } from '../../src/pits/load.js';

/** Loads the PIT named by id from the config's PITs folder, then grades: what `process --zip` does. */
export async function gradeById(source: SubmissionSource, pitId: string, deps: GradeDeps) {
  return gradeSubmission(source, await loadPit(deps.config.pitsDir, pitId), deps);
}
