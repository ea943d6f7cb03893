import type { ArgumentsHost } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { ErrorFilter } from './error.filter';

/** Runs the filter on one error and returns what it would send. */
function answer(error: unknown): { status: number; body: Record<string, unknown> } {
  const sent: { status: number; body: Record<string, unknown> } = { status: 0, body: {} };
  const reply = {
    sent: false,
    header: () => reply,
    status(code: number) {
      sent.status = code;
      return reply;
    },
    send(body: Record<string, unknown>) {
      sent.body = body;
      return reply;
    },
  };
  const host = {
    switchToHttp: () => ({ getRequest: () => ({ id: 'req-1' }), getResponse: () => reply }),
  } as unknown as ArgumentsHost;
  new ErrorFilter().catch(error, host);
  return sent;
}

function pgError(code: string, detail: string): QueryFailedError {
  const driverError = Object.assign(new Error('pg error'), { code, detail });
  return new QueryFailedError('INSERT ...', [], driverError);
}

describe('ErrorFilter', () => {
  it('answers 404 naming the row when an insert references one deleted meanwhile', () => {
    const { status, body } = answer(
      pgError('23503', 'Key (agent_id)=(agent-1) is not present in table "agents".'),
    );
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: 'not_found', trace_id: 'req-1' });
    expect(body.detail).toContain("agents row with agent_id 'agent-1'");
  });

  it('answers 409 when a delete is refused because another row still references it', () => {
    const { status, body } = answer(
      pgError('23503', 'Key (id)=(tool-1) is still referenced from table "tools_agents".'),
    );
    expect(status).toBe(409);
    expect(body.code).toBe('conflict');
  });

  it('answers 409 on a unique violation and 500 without internals on anything unknown', () => {
    expect(answer(pgError('23505', 'Key (name)=(x) already exists.')).status).toBe(409);
    const unknown = answer(new Error('secret internals'));
    expect(unknown.status).toBe(500);
    expect(JSON.stringify(unknown.body)).not.toContain('secret');
  });
});
