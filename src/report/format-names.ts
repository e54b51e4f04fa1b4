/** The result formats `process --format` offers (report/formats.ts writes them). */
export const FORMATS = ['json', 'student', 'gradescope', 'exercism', 'junit'] as const;
export type Format = (typeof FORMATS)[number];
