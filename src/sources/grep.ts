import { Worker } from 'node:worker_threads';

export interface GrepFile {
  name: string;
  text: string;
}

export interface GrepMatch {
  file: string;
  /** 1-based. */
  line: number;
}

export interface GrepResult {
  matches: GrepMatch[];
  /** True when the search stopped at its time limit: what was found by then is kept. */
  timedOut: boolean;
}

/**
 * Regular expressions from the model run in a worker thread with a time limit: JavaScript's
 * engine backtracks, so a pattern like `(a+)+$` can take exponential time, and here it can
 * neither block the event loop nor run past `timeoutMs`. The worker posts matches as it finds
 * them, so a search cut at the limit still answers what it found.
 */
const GREP_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const re = new RegExp(workerData.pattern, workerData.flags);
for (const f of workerData.files) {
  const lines = f.text.split(/\\r?\\n/);
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    re.lastIndex = 0;
    if (re.test(lines[i])) found.push(i + 1);
  }
  if (found.length) parentPort.postMessage({ file: f.name, lines: found });
}
parentPort.postMessage({ done: true });
`;

export const MAX_PATTERN_CHARS = 1_000;

export function grepFiles(pattern: string, files: GrepFile[], timeoutMs = 2_000): Promise<GrepResult> {
  return new Promise((resolve, reject) => {
    const matches: GrepMatch[] = [];
    const worker = new Worker(GREP_WORKER, {
      eval: true,
      workerData: { pattern, flags: 'i', files },
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    let settled = false;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve({ matches, timedOut });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    worker.on('message', (m: { done?: boolean; file?: string; lines?: number[] }) => {
      if (m.done) return finish(false);
      for (const line of m.lines ?? []) matches.push({ file: m.file!, line });
    });
    worker.once('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    });
  });
}
