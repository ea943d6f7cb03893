import { Command } from 'commander';
import type { Finding } from '../doctor/checks';

const LABEL: Record<Finding['status'], string> = { ok: 'ok', warn: 'warn', fail: 'FAIL' };

/** The report as a person reads it: one line per check, the fix under each problem. */
export function formatFindings(findings: Finding[]): string {
  const width = Math.max(...findings.map((f) => f.check.length));
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${LABEL[f.status].padEnd(5)} ${f.check.padEnd(width)}  ${f.detail}`);
    if (f.fix && f.status !== 'ok') lines.push(`${' '.repeat(6 + width)}  fix: ${f.fix}`);
  }
  const failed = findings.filter((f) => f.status === 'fail').length;
  const warned = findings.filter((f) => f.status === 'warn').length;
  lines.push('');
  lines.push(
    failed
      ? `${failed} problem(s)${warned ? `, ${warned} warning(s)` : ''}: see the fixes above.`
      : `No problems${warned ? ` (${warned} warning(s))` : ''}.`,
  );
  return lines.join('\n');
}

/** `engram doctor`: checks what this environment points at; exit 1 when something is wrong. */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description('Check the database, pgvector, migrations, Redis and the LLM providers; explain each fix')
    .option('--json', 'print the findings as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { diagnose } = await import('../doctor/checks');
      const findings = await diagnose(process.env);
      console.log(opts.json ? JSON.stringify(findings, null, 2) : formatFindings(findings));
      process.exitCode = findings.some((f) => f.status === 'fail') ? 1 : 0;
    });
}
