import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DockerfileParser, Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { parse } from 'yaml';

/**
 * No Docker engine runs where the tests run, so the image is checked by reading: the Dockerfile
 * parsed and linted (dockerfile-ast / dockerfile-utils) and its shape asserted, and the compose
 * file parsed. What these cannot show (that the image builds and starts) the docs call out.
 */

const ROOT = resolve(__dirname, '..', '..');
const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const instructions = DockerfileParser.parse(text).getInstructions();
/** An instruction's text after its keyword, flags included, continuation lines joined. */
const args = (i: Instruction) =>
  i
    .getTextContent()
    .replace(/\\\r?\n\s*/g, ' ')
    .replace(/^\s*\S+\s+/, '')
    .trim();

/** The instructions of each stage, split at FROM. */
function stages(): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of instructions) {
    if (i.getKeyword() === 'FROM') out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

describe('Dockerfile', () => {
  it('parses and lints clean', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('is multi-stage and builds with the same `npm run build` as everywhere else', () => {
    const [build, runtime, ...more] = stages();
    expect(more).toEqual([]);
    const runs = build.filter((i) => i.getKeyword() === 'RUN').map(args);
    expect(runs).toContainEqual(expect.stringMatching(/^npm ci\b/));
    expect(runs).toContainEqual(expect.stringMatching(/^npm run build\b/));
    expect(text).not.toMatch(/nest build/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.build).toMatch(/swc src libs -d dist/);
    // The runtime stage copies the build output, not the sources.
    const copies = runtime.filter((i) => i.getKeyword() === 'COPY').map(args);
    expect(copies).toEqual(
      expect.arrayContaining([
        '--from=build /app/dist ./dist',
        '--from=build /app/node_modules ./node_modules',
      ]),
    );
    expect(copies.some((c) => /^\.\s/.test(c) || /\bsrc\b/.test(c))).toBe(false);
  });

  it('runs as a non-root user, and starts `engram` through the bin shim', () => {
    const runtime = stages()[1];
    const users = runtime.filter((i) => i.getKeyword() === 'USER').map(args);
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
    const last = (k: string) => runtime.map((i) => i.getKeyword()).lastIndexOf(k);
    expect(last('USER')).toBeLessThan(last('ENTRYPOINT'));
    expect(args(runtime[last('ENTRYPOINT')])).toBe('["node", "bin/engram.js"]');
    expect(args(runtime[last('CMD')])).toBe('["api"]');
    expect(pkg().bin).toEqual({ engram: 'bin/engram.js' });
    expect(readFileSync(join(ROOT, 'bin', 'engram.js'), 'utf8')).toContain("'dist', 'src', 'cli', 'main.js'");
    expect(existsSync(join(ROOT, 'src', 'cli', 'main.ts'))).toBe(true);
  });

  it('has a HEALTHCHECK on the liveness route', () => {
    const checks = stages()[1]
      .filter((i) => i.getKeyword() === 'HEALTHCHECK')
      .map(args);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatch(/^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+/);
    expect(checks[0]).toContain('/v1/health');
  });

  it('keeps secrets and build leftovers out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.env', '.git', '.engram']));
  });
});

function pkg() {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, any>;
  };

  it('runs api, worker, Postgres with pgvector, Redis and a one-shot migration from the one image', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(['api', 'migrate', 'postgres', 'redis', 'worker']);
    expect(s.postgres.image).toMatch(/^pgvector\/pgvector:/);
    expect(s.redis.image).toMatch(/^redis:/);
    expect(s.api.command).toEqual(['api']);
    expect(s.worker.command).toEqual(['worker']);
    expect(s.migrate.command).toEqual(['migrate']);
    for (const name of ['api', 'worker', 'migrate']) expect(s[name].build).toBe('.');
    for (const name of ['api', 'worker']) {
      expect(s[name].depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
      expect(s[name].environment).toMatchObject({
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*@postgres:5432\//),
        REDIS_URL: expect.stringMatching(/^redis:\/\/redis:6379/),
      });
      expect(s[name].healthcheck.test[0]).toBe('CMD');
    }
  });
});
