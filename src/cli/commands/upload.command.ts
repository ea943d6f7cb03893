import { Command, InvalidArgumentError, Option } from 'commander';
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, reportErrors, ServerClient, ServerOptions, withServerOptions } from '../server-client';

interface UploadOptions extends ServerOptions {
  duplicate: 'skip' | 'error' | 'suffix' | 'replace';
  wait: boolean;
  timeout: number;
  json?: boolean;
}

interface FolderRow {
  id: string;
  name: string;
}

interface FileRow {
  id: string;
  file_name?: string | null;
  processing_status?: string;
  error_message?: string | null;
  chunks_embedded?: number | null;
  total_chunks?: number | null;
}

const DONE = new Set(['completed', 'error']);

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/**
 * One line of progress on stderr: redrawn in place on a terminal, printed only when it changes
 * otherwise (so a CI log shows each step once).
 */
class ProgressBar {
  private last = '';
  private readonly tty = Boolean(process.stderr.isTTY);

  draw(done: number, total: number, label: string): void {
    const width = 24;
    const filled = total ? Math.round((done / total) * width) : width;
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${label}`;
    if (line === this.last) return;
    this.last = line;
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  end(): void {
    if (this.tty && this.last) process.stderr.write('\n');
    this.last = '';
  }
}

/** The folder named or identified by `ref`, which must exist. */
async function findFolder(server: ServerClient, ref: string): Promise<FolderRow> {
  if (/^source-[0-9a-f-]{36}$/.test(ref)) return server.request<FolderRow>('GET', `/v1/folders/${ref}`);
  const matches = await server.request<FolderRow[]>('GET', `/v1/folders/?name=${encodeURIComponent(ref)}`);
  const folder = matches?.find((f) => f.name === ref);
  if (!folder)
    throw new CliError(`no folder named "${ref}" (create it with POST /v1/folders/, or pass its id)`);
  return folder;
}

/**
 * `engram upload <folder> <files...>`: sends files to a folder of a running server (streamed
 * from disk), then follows their ingestion until each is completed or failed, with a progress
 * bar on stderr. Prints one line per file: id, status, name. Exits 1 when any file failed.
 */
export function uploadCommand(): Command {
  return withServerOptions(
    new Command('upload')
      .description('Upload files to a folder of a running Engram server and wait for their ingestion')
      .argument('<folder>', 'the folder, by name or id (source-...)')
      .argument('<files...>', 'the files to upload'),
  )
    .addOption(
      new Option('--duplicate <mode>', 'what to do with a file name the folder already holds')
        .choices(['skip', 'error', 'suffix', 'replace'])
        .default('suffix'),
    )
    .option('--no-wait', 'return once uploaded, without waiting for parsing and embedding')
    .option('--timeout <seconds>', 'how long to wait for ingestion', parseSeconds, 600)
    .option('--json', 'print the final file rows as JSON')
    .action((folderRef: string, paths: string[], opts: UploadOptions) =>
      reportErrors('upload', async () => {
        const server = new ServerClient(opts);
        const sizes = await Promise.all(
          paths.map((p) =>
            stat(p).then(
              (s) => {
                if (!s.isFile()) throw new CliError(`${p} is not a file`);
                return s.size;
              },
              (err: Error) => {
                throw new CliError(`cannot read ${p}: ${err.message}`);
              },
            ),
          ),
        );
        const folder = await findFolder(server, folderRef);
        const bar = new ProgressBar();
        const total = sizes.reduce((a, b) => a + b, 0);
        let sent = 0;
        const rows: FileRow[] = [];
        for (const [i, path] of paths.entries()) {
          bar.draw(
            sent,
            total,
            `uploading ${i + 1}/${paths.length} ${basename(path)} (${megabytes(sent)} of ${megabytes(total)})`,
          );
          const form = new FormData();
          form.append('file', await openAsBlob(path), basename(path));
          try {
            rows.push(
              await server.request<FileRow>(
                'POST',
                `/v1/folders/${folder.id}/upload?duplicate_handling=${opts.duplicate}`,
                form,
              ),
            );
          } catch (err) {
            bar.end();
            throw err instanceof CliError ? new CliError(`${basename(path)}: ${err.message}`) : err;
          }
          sent += sizes[i];
        }
        bar.draw(total, total, `uploaded ${paths.length} file(s), ${megabytes(total)}`);

        const deadline = Date.now() + opts.timeout * 1000;
        while (opts.wait) {
          const pending = rows.filter((r) => !DONE.has(r.processing_status ?? ''));
          const finished = rows.length - pending.length;
          const chunks = rows.reduce((n, r) => n + (r.chunks_embedded ?? 0), 0);
          bar.draw(
            finished,
            rows.length,
            `processed ${finished}/${rows.length} file(s), ${chunks} chunk(s) embedded`,
          );
          if (!pending.length) break;
          if (Date.now() > deadline) {
            bar.end();
            throw new CliError(`${pending.length} file(s) still processing after ${opts.timeout} s`);
          }
          await sleep(250);
          for (const row of pending) {
            const fresh = await server.request<FileRow>('GET', `/v1/folders/${folder.id}/files/${row.id}`);
            Object.assign(row, fresh);
          }
        }
        bar.end();

        if (opts.json) console.log(JSON.stringify(rows));
        else
          for (const r of rows)
            console.log(`${r.id}\t${r.processing_status ?? 'pending'}\t${r.file_name ?? ''}`);
        const failed = rows.filter((r) => r.processing_status === 'error');
        for (const r of failed)
          console.error(`engram upload: ${r.file_name}: ${r.error_message ?? 'failed'}`);
        if (failed.length) process.exitCode = 1;
      }),
    );
}
