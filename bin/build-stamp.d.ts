/** The input files of `npm run build` (src/, tsconfig.json, package.json) as "path size mtimeMs" lines. */
export function sourceSnapshot(root: string): string;
/** Records in dist/ that it was built from `snapshot`. */
export function writeStamp(root: string, snapshot: string): void;
/** True only when dist/ was built by `npm run build` from exactly the sources present now. */
export function buildIsCurrent(root: string): boolean;
