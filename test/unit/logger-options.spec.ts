import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pinoHttp, type Options } from 'pino-http';
import { loggerOptions } from '../../src/common/logging';
import { AppConfig } from '../../src/config/app-config';
import type { PrincipalRequest } from '../../src/tenants/request-principal';

/**
 * loggerOptions through pino-http itself (what nestjs-pino mounts), writing into an array: the
 * request-completed line, its id and tenant, on a loopback server.
 */
describe('loggerOptions', () => {
  const lines: Array<Record<string, unknown>> = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const config = AppConfig.fromEnvironment({ LOG_LEVEL: 'info' });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = pinoHttp(loggerOptions(config, 'server').pinoHttp as Options, sink);
    server = createServer((req, res) => {
      logger(req, res);
      // What the API-key guard does for a request with a key.
      if (req.url === '/as-acme') (req as PrincipalRequest).principal = { tenantId: 'acme', role: 'read', keyId: 'k1' };
      req.log.info('inside the request');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  async function completedLine(requestId: string) {
    const end = Date.now() + 5000;
    for (;;) {
      const line = lines.find((l) => (l.req as { id?: string })?.id === requestId && l.msg === 'request completed');
      if (line) return line;
      if (Date.now() > end) throw new Error(`no completed line for ${requestId}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('puts the tenant on the completed line once the guard has set the principal, and the id on every line', async () => {
    const res = await fetch(`${base}/as-acme`, { headers: { 'X-Request-Id': 'r-acme', Authorization: 'Bearer k' } });
    expect(res.headers.get('x-request-id')).toBe('r-acme');
    const line = await completedLine('r-acme');
    expect(line).toMatchObject({ tenantId: 'acme', role: 'server' });
    expect((line.req as { headers: Record<string, string> }).headers.authorization).toBe('[redacted]');
    expect(
      lines.find((l) => l.msg === 'inside the request' && (l.req as { id: string }).id === 'r-acme'),
    ).toBeDefined();
    // Once: no duplicate tenantId key in the JSON line.
    expect(JSON.stringify(line).match(/"tenantId"/g)).toHaveLength(1);
  });

  it('leaves the tenant out when no principal was set (no guard, or a request it refused)', async () => {
    await fetch(`${base}/anonymous`, { headers: { 'X-Request-Id': 'r-anon' } });
    expect(await completedLine('r-anon')).not.toHaveProperty('tenantId');
  });
});
