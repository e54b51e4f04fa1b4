import type { IntegrityNote } from './types.js';

const MAX_FILES = 50;
const MAX_NAMED = 5;

/** The files a submission held outside the PIT's solution, so the student sees why they had no effect. */
export function ignoredNote(ignored: string[]): IntegrityNote {
  const named = ignored.slice(0, MAX_NAMED).join(', ') + (ignored.length > MAX_NAMED ? ', …' : '');
  return {
    code: 'FILES_IGNORED',
    message: `${ignored.length} file(s) of the submission are not part of the solution and were not used: ${named}`,
    files: ignored.slice(0, MAX_FILES),
  };
}
