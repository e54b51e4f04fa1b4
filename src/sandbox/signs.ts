/**
 * What the output says about a failed run: the messages runtimes print when they hit the memory
 * bound (-XX:+ExitOnOutOfMemoryError, V8's heap limit, Python's MemoryError, malloc under
 * RLIMIT_DATA) or the disk bounds (EFBIG: the JVM ignores SIGXFSZ and gets the error instead; ENOSPC on the
 * workspace's own filesystem).
 * A student can print these too, but that only gives a worse outcome to their own run.
 */
const MEMORY = /java\.lang\.OutOfMemoryError|JavaScript heap out of memory|Fatal process out of memory|^MemoryError\b|Cannot allocate memory/m;
// "File size limit exceeded" is how shells report SIGXFSZ; ENOSPC is the workspace's own filesystem full
const FILE_TOO_LARGE = /File too large|File size limit exceeded|\bEFBIG\b|No space left on device|\bENOSPC\b/i;
const CARRY = 128;

export interface OutputSigns { memory: boolean; fileTooLarge: boolean }

/** Scans the output as it streams, across chunk boundaries, holding at most a few bytes. */
export function outputScanner() {
  const signs: OutputSigns = { memory: false, fileTooLarge: false };
  let carry = '';
  return {
    signs,
    scan(chunk: Buffer): void {
      if (signs.memory && signs.fileTooLarge) return;
      const text = carry + chunk.toString('latin1');
      signs.memory ||= MEMORY.test(text);
      signs.fileTooLarge ||= FILE_TOO_LARGE.test(text);
      carry = text.slice(-CARRY);
    },
  };
}
