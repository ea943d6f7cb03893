import { DataSource } from 'typeorm';
import { decryptSecret, loadSecretsKey } from '../../common/secrets';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../embedded-postgres';
import { EncryptMcpLocations1795575100000 } from './1795575100000-EncryptMcpLocations';
import { MIGRATIONS } from './index';

const KEY = 'ab'.repeat(32);

/** The migration that encrypts MCP server URLs and stdio args of rows written before it. */
describe('EncryptMcpLocations migration', () => {
  let pg: EmbeddedPostgres;
  let saved: string | undefined;

  beforeAll(async () => {
    saved = process.env.ENGRAM_SECRETS_KEY;
    process.env.ENGRAM_SECRETS_KEY = KEY;
    pg = await startEmbeddedPostgres({ dataDir: 'memory://' });
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.ENGRAM_SECRETS_KEY;
    else process.env.ENGRAM_SECRETS_KEY = saved;
    await pg?.stop();
  });

  const source = (migrations: typeof MIGRATIONS) =>
    new DataSource({ type: 'postgres', url: pg.url, migrations, extra: { max: 1 } }).initialize();

  it('encrypts existing rows, drops the plaintext columns, and can be undone', async () => {
    const upTo = MIGRATIONS.indexOf(EncryptMcpLocations1795575100000);
    expect(upTo).toBeGreaterThan(0);
    let ds = await source(MIGRATIONS.slice(0, upTo));
    await ds.runMigrations({ transaction: 'each' });
    await ds.query(`INSERT INTO organizations (id, name) VALUES ('org-1', 'o')`);
    await ds.query(
      `INSERT INTO mcp_servers (id, organization_id, server_name, server_type, server_url, command, args)
       VALUES ('mcp_server-1', 'org-1', 'http', 'streamable_http', 'https://mcp.test/s/SECRET-TOKEN/mcp', NULL, NULL),
              ('mcp_server-2', 'org-1', 'stdio', 'stdio', NULL, 'npx', '["server", "--token=SECRET-ARG"]')`,
    );
    await ds.destroy();

    ds = await source(MIGRATIONS);
    await ds.runMigrations({ transaction: 'each' });
    const rows: Array<Record<string, string | null>> = await ds.query(
      `SELECT * FROM mcp_servers ORDER BY id`,
    );
    expect(JSON.stringify(rows)).not.toMatch(/SECRET/);
    expect(rows[0]).not.toHaveProperty('server_url');
    expect(rows[0]).not.toHaveProperty('args');
    const key = loadSecretsKey(KEY, 'memory://');
    expect(JSON.parse(decryptSecret(rows[0].server_url_enc!, key, 'mcp_server-1/server_url'))).toBe(
      'https://mcp.test/s/SECRET-TOKEN/mcp',
    );
    expect(rows[0].args_enc).toBeNull();
    expect(JSON.parse(decryptSecret(rows[1].args_enc!, key, 'mcp_server-2/args'))).toEqual([
      'server',
      '--token=SECRET-ARG',
    ]);
    // Bound to its row: the same ciphertext does not open under another id.
    expect(() => decryptSecret(rows[0].server_url_enc!, key, 'mcp_server-2/server_url')).toThrow();

    // Undo the later migrations, then this one.
    for (let i = MIGRATIONS.length; i > upTo; i--) await ds.undoLastMigration({ transaction: 'each' });
    const back = await ds.query(`SELECT id, server_url, args FROM mcp_servers ORDER BY id`);
    expect(back).toEqual([
      { id: 'mcp_server-1', server_url: 'https://mcp.test/s/SECRET-TOKEN/mcp', args: null },
      { id: 'mcp_server-2', server_url: null, args: ['server', '--token=SECRET-ARG'] },
    ]);
    await ds.destroy();
  });
});
