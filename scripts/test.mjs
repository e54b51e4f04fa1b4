// Runs the uvu suites (TypeScript through tsx) and ends with one plain line, "N passed, N failed,
// N skipped", that any CI can read. Arguments narrow the run: `npm test -- sandbox` runs the test files whose path (below test/) matches `sandbox`.
import { spawn } from 'node:child_process';

const pattern = process.argv[2] ?? '\\.test\\.ts$';
const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', pattern, '--no-color'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk).slice(-4096);
});
child.on('close', (code, signal) => {
  const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(tail)?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  const skipped = count('Skipped');
  process.stdout.write(`\n${passed} passed, ${total - passed} failed, ${skipped} skipped\n`);
  process.exit(signal ? 1 : code ?? 1);
});
