import { DomainError } from '../common/errors';

/** How a file's bytes become text. */
export type ParserKind = 'text' | 'markdown' | 'html' | 'json' | 'csv' | 'pdf' | 'docx';

interface FileType {
  mime: string;
  parser: ParserKind;
}

const TEXT = (mime: string): FileType => ({ mime, parser: 'text' });

/** Extensions Engram ingests, with their MIME type and parser. */
const BY_EXTENSION: Record<string, FileType> = {
  '.txt': TEXT('text/plain'),
  '.text': TEXT('text/plain'),
  '.log': TEXT('text/plain'),
  '.md': { mime: 'text/markdown', parser: 'markdown' },
  '.markdown': { mime: 'text/markdown', parser: 'markdown' },
  '.mdx': { mime: 'text/markdown', parser: 'markdown' },
  '.html': { mime: 'text/html', parser: 'html' },
  '.htm': { mime: 'text/html', parser: 'html' },
  '.json': { mime: 'application/json', parser: 'json' },
  '.jsonl': TEXT('application/jsonl'),
  '.csv': { mime: 'text/csv', parser: 'csv' },
  '.tsv': { mime: 'text/tab-separated-values', parser: 'csv' },
  '.pdf': { mime: 'application/pdf', parser: 'pdf' },
  '.docx': {
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    parser: 'docx',
  },
  '.xml': TEXT('application/xml'),
  '.yaml': TEXT('application/x-yaml'),
  '.yml': TEXT('application/x-yaml'),
  '.toml': TEXT('application/toml'),
  '.ini': TEXT('text/plain'),
  '.py': TEXT('text/x-python'),
  '.js': TEXT('text/javascript'),
  '.mjs': TEXT('text/javascript'),
  '.cjs': TEXT('text/javascript'),
  '.ts': TEXT('text/x-typescript'),
  '.tsx': TEXT('text/x-typescript'),
  '.jsx': TEXT('text/javascript'),
  '.java': TEXT('text/x-java'),
  '.go': TEXT('text/x-go'),
  '.rs': TEXT('text/x-rust'),
  '.rb': TEXT('text/x-ruby'),
  '.php': TEXT('text/x-php'),
  '.c': TEXT('text/x-c'),
  '.h': TEXT('text/x-c'),
  '.cpp': TEXT('text/x-c++'),
  '.hpp': TEXT('text/x-c++'),
  '.cs': TEXT('text/x-csharp'),
  '.swift': TEXT('text/x-swift'),
  '.kt': TEXT('text/x-kotlin'),
  '.scala': TEXT('text/x-scala'),
  '.sh': TEXT('text/x-shellscript'),
  '.sql': TEXT('application/sql'),
  '.css': TEXT('text/css'),
  '.r': TEXT('text/x-r'),
};

/** MIME types accepted when the name has no known extension. */
const BY_MIME: Record<string, FileType> = Object.fromEntries(
  Object.values(BY_EXTENSION).map((t) => [t.mime, t]),
);

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

/**
 * The type of an upload, from its file name's extension or else its declared Content-Type; an
 * unsupported one is a 415 that lists what is accepted.
 */
export function fileTypeOf(fileName: string, contentType: string | undefined): FileType {
  const byExt = BY_EXTENSION[extensionOf(fileName)];
  if (byExt) return byExt;
  const media = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  const byMime = BY_MIME[media] ?? (media.startsWith('text/') ? TEXT(media) : undefined);
  if (byMime) return byMime;
  throw new DomainError(
    415,
    'unsupported_media_type',
    `file: unsupported file type ${media || 'unknown'} (file name '${fileName}'); supported: PDF, DOCX, HTML, ` +
      `JSON, CSV, Markdown, plain text and source code (${Object.keys(BY_EXTENSION).join(', ')})`,
  );
}

export function parserFor(fileName: string, fileType: string | null): ParserKind {
  return (BY_EXTENSION[extensionOf(fileName)] ?? BY_MIME[fileType ?? ''] ?? TEXT('text/plain')).parser;
}
