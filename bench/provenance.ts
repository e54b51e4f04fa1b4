// What recording a result's provenance costs: hashing each sample PIT, measuring each build tool's
// toolchain the first time (later calls are cached for the process), and the runner's build.
// Usage: node --import tsx bench/provenance.ts [runs]
import path from 'node:path';
import { runnerBuild } from '../src/build-info.js';
import { installDir } from '../src/config.js';
import { pitHash } from '../src/grading/pit-hash.js';
import { toolchainOf } from '../src/grading/provenance.js';
import { loadPit } from '../src/pits/load.js';

const runs = Number(process.argv[2] ?? 20);
const pitsDir = path.join(installDir, 'pits');
const ms = (start: number) => (performance.now() - start).toFixed(1);
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

let start = performance.now();
const build = await runnerBuild();
console.log(`runner build (once per process): ${ms(start)} ms  ${JSON.stringify(build)}`);

for (const pitId of ['java-maven-dummy-dev', 'java-junit-bankaccount-v1', 'python-pytest-wordstats-v1', 'javascript-node-roman-v1']) {
  const pit = await loadPit(pitsDir, pitId);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await pitHash(pit);
    times.push(performance.now() - t);
  }
  start = performance.now();
  const first = await toolchainOf(pit.buildTool);
  const firstMs = ms(start);
  start = performance.now();
  await toolchainOf(pit.buildTool);
  console.log(`${pitId}: hash median ${median(times).toFixed(2)} ms (${runs} runs); toolchain ${pit.buildTool} first ${firstMs} ms, then ${ms(start)} ms  ${JSON.stringify(first)}`);
}
