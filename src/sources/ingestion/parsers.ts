import { Worker } from 'node:worker_threads';
import type { ParserKind } from '../file-types';

/** A file that cannot be read as its type says: the ingestion ends in `error` with this message. */
export class ParseError extends Error {}

/**
 * Turns a file's bytes into the text agents read. Text formats are decoded as UTF-8; HTML keeps
 * its text with blocks on their own lines; JSON is re-printed one value per line; CSV keeps one
 * row per line; PDF (unpdf, on pdf.js) and DOCX (mammoth) are extracted by those libraries.
 */
export async function parseFile(kind: ParserKind, bytes: Buffer): Promise<string> {
  switch (kind) {
    case 'text':
    case 'markdown':
    case 'csv':
      return normalize(decodeUtf8(bytes));
    case 'html':
      return normalize(htmlToText(decodeUtf8(bytes)));
    case 'json':
      return normalize(jsonToText(decodeUtf8(bytes)));
    case 'pdf':
      return normalize(await pdfToText(bytes));
    case 'docx':
      return normalize(await docxToText(bytes));
  }
}

function decodeUtf8(bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ParseError('The file is not valid UTF-8 text');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Postgres cannot store NUL; line ends become \n. */
function normalize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n?/g, '\n').replace(/\u0000/g, '');
}

function jsonToText(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (e) {
    throw new ParseError(`The file is not valid JSON: ${(e as Error).message}`);
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const BLOCK =
  /^(p|div|br|hr|li|ul|ol|tr|table|h[1-6]|section|article|header|footer|nav|aside|main|pre|blockquote|dd|dt|dl|figure|figcaption|form|title)$/i;

/** The text of an HTML document: scripts, styles and comments dropped, blocks on their own lines. */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      out.push(html.slice(i));
      break;
    }
    out.push(html.slice(i, lt));
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const gt = html.indexOf('>', lt + 1);
    if (gt < 0) {
      out.push(html.slice(lt));
      break;
    }
    const tag = /^<\/?\s*([a-zA-Z][a-zA-Z0-9-]*)/.exec(html.slice(lt, Math.min(gt + 1, lt + 64)));
    const name = tag?.[1]?.toLowerCase() ?? '';
    i = gt + 1;
    if ((name === 'script' || name === 'style' || name === 'noscript') && !html.startsWith('</', lt)) {
      const close = html.toLowerCase().indexOf(`</${name}`, i);
      i = close < 0 ? n : Math.max(i, html.indexOf('>', close) + 1 || n);
      continue;
    }
    if (BLOCK.test(name)) out.push('\n');
    else if (name === 'td' || name === 'th') out.push(' ');
  }
  return out
    .join('')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .split('\n')
    .map((l) => l.replace(/[ \t\f\v]+/g, ' ').trim())
    .filter((l, idx, all) => l !== '' || (idx > 0 && all[idx - 1] !== ''))
    .join('\n')
    .trim();
}

/**
 * pdf.js is CPU-heavy and loads its bundle with a dynamic import: it runs in a worker thread,
 * so a large PDF does not hold up the event loop (and the import runs under Node's own loader).
 */
const PDF_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  const { extractText, getDocumentProxy } = await import(pathToFileURL(workerData.unpdf).href);
  const pdf = await getDocumentProxy(new Uint8Array(workerData.bytes));
  const { text } = await extractText(pdf, { mergePages: false });
  parentPort.postMessage({ text: text.join('\\n\\n') });
})().catch((e) => parentPort.postMessage({ error: String((e && e.message) || e) }));
`;
/** A PDF that takes longer than this to read is refused. */
const PDF_TIMEOUT_MS = 120_000;

function pdfToText(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PDF_WORKER, {
      eval: true,
      workerData: { bytes, unpdf: require.resolve('unpdf') },
      stdout: true,
      stderr: true,
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new ParseError(`The PDF took longer than ${PDF_TIMEOUT_MS / 1000} s to read`));
    }, PDF_TIMEOUT_MS);
    worker.once('message', (m: { text?: string; error?: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (m.error !== undefined) reject(new ParseError(`The file is not a readable PDF: ${m.error}`));
      else resolve(m.text ?? '');
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(new ParseError(`The file is not a readable PDF: ${e.message}`));
    });
  });
}

async function docxToText(bytes: Buffer): Promise<string> {
  const mammoth = await import('mammoth');
  try {
    const { value } = await mammoth.extractRawText({ buffer: bytes });
    return value;
  } catch (e) {
    throw new ParseError(`The file is not a readable DOCX document: ${(e as Error).message}`);
  }
}
