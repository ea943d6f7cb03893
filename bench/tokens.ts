/**
 * bench/tokens: what token counting costs on the event loop, and how far the bounded counter
 * (`countTokens` in libs/llm) is from tiktoken's exact count on realistic text.
 *
 *   npm run bench:tokens
 *
 * "exact" is js-tiktoken's o200k_base on the whole text, as Engram counted before; it is
 * quadratic in the length of a run with no break, so the pathological cases run once each
 * (set BENCH_SKIP_SLOW=1 to skip them). Corpora come from this checkout and node_modules:
 * English prose (README), TypeScript source, JSON (package-lock), Chinese and Russian prose
 * (TypeScript's translated diagnostics), random base64, and a mixed chat-like transcript.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Tiktoken, TiktokenBPE } from 'js-tiktoken/lite';
import { countTokens, EXACT_TOKEN_CHARS, warmTokenizer } from '@engram/llm';

const root = join(__dirname, '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ranks = require('js-tiktoken/ranks/o200k_base') as TiktokenBPE;
const exactEncoder = new Tiktoken(ranks);
const exact = (s: string) => exactEncoder.encode(s).length;

function ms(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function diagnostics(lang: string): string {
  const messages = JSON.parse(read(`node_modules/typescript/lib/${lang}/diagnosticMessages.generated.json`));
  return Object.values(messages as Record<string, string>).join(' ');
}

/** Repeats `text` (cut at a whitespace) to reach `chars` characters. */
function sized(text: string, chars: number): string {
  let out = text;
  while (out.length < chars) out += '\n' + text;
  const cut = out.lastIndexOf(' ', chars);
  return out.slice(0, cut > chars * 0.9 ? cut : chars);
}

function main(): void {
  const skipSlow = process.env.BENCH_SKIP_SLOW === '1';
  const warm = ms(() => warmTokenizer());
  exact('warm up');
  console.log(`encoder build: ${warm.toFixed(0)} ms (paid once at start-up)`);
  console.log(`exact up to ${EXACT_TOKEN_CHARS} characters, sampled estimate above\n`);

  console.log('Time on the event loop, one call (before = exact js-tiktoken, after = countTokens):');
  const pathological: [string, string][] = [
    ['8,000 x', 'x'.repeat(8_000)],
    ['12,000 x', 'x'.repeat(12_000)],
    ['1 MB x', 'x'.repeat(1_000_000)],
    ['4 MB base64', randomBytes(3_000_000).toString('base64')],
    ['100k spaces', ' '.repeat(100_000)],
  ];
  for (const [label, text] of pathological) {
    // Exact counting of one unbroken run of 100k+ characters would take minutes.
    const hopeless = text.length >= 100_000 && !label.includes('base64');
    let before = 'minutes';
    let want: number | undefined;
    if (skipSlow) before = 'skipped';
    else if (!hopeless) before = `${ms(() => (want = exact(text))).toFixed(0)} ms`;
    // Distinct texts each time, so the cache does not answer; the median of five calls.
    let n = 0;
    const times = [0, 1, 2, 3, 4].map((i) => ms(() => (n = countTokens(text + ' '.repeat(i)))));
    const after = times.sort((a, b) => a - b)[2];
    const err = want === undefined ? '' : `, exact ${want}, ${(((n - want) / want) * 100).toFixed(2)}%`;
    console.log(
      `  ${label.padEnd(14)} before ${before.padStart(9)}   after ${after.toFixed(1).padStart(5)} ms  (${n} tokens${err})`,
    );
  }

  const transcript = [
    read('README.md').slice(0, 3000),
    JSON.stringify({ tool: 'search', results: JSON.parse(read('package.json')) }),
    read('src/runs/runs.repository.ts').slice(0, 3000),
    randomBytes(1500).toString('base64'),
    diagnostics('zh-cn').slice(0, 2000),
  ].join('\n\n');
  const corpora: [string, string][] = [
    ['English prose', read('README.md')],
    ['TypeScript', read('src/runs/agent-runner.service.ts') + read('libs/agent-runtime/src/summarizer.ts')],
    ['JSON', read('package-lock.json')],
    ['Chinese', diagnostics('zh-cn')],
    ['Russian', diagnostics('ru')],
    ['base64', randomBytes(600_000).toString('base64')],
    ['mixed transcript', transcript],
  ];
  console.log('\nError of countTokens against the exact count (+ = counts high):');
  console.log(
    '  corpus'.padEnd(20) + ['2k chars', '8k', '20k', '100k', '400k'].map((h) => h.padStart(10)).join(''),
  );
  let worst = 0;
  for (const [label, text] of corpora) {
    const cells: string[] = [];
    for (const size of [2_000, 8_000, 20_000, 100_000, 400_000]) {
      const sample = sized(text, size);
      const want = exact(sample);
      const got = countTokens(sample);
      const err = (got - want) / want;
      worst = Math.max(worst, Math.abs(err));
      cells.push(`${(err * 100).toFixed(2)}%`.padStart(10));
    }
    console.log(`  ${label.padEnd(18)}${cells.join('')}`);
  }
  console.log(`\nworst |error|: ${(worst * 100).toFixed(2)}%`);

  const big = sized(read('README.md'), 400_000);
  const exactTime = ms(() => exact(big));
  const boundedTime = ms(() => countTokens(big + ' '));
  console.log(
    `400k chars of prose: exact ${exactTime.toFixed(0)} ms, countTokens ${boundedTime.toFixed(1)} ms`,
  );
}

main();
