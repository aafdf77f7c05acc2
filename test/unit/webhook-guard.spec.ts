import type { LookupAddress } from 'node:dns';
import { checkCallbackUrl, refusedAddressReason, type ResolveAll } from '../../src/webhooks/callback-url';
import { signedHeaders } from '../../src/webhooks/webhook-payload';
import { WebhookSender } from '../../src/webhooks/webhook-sender';
import { WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A resolver that answers from a script, one answer per call, and counts its calls. */
function scriptedDns(...answers: string[][]): ResolveAll & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const next = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    return next.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

describe('refusedAddressReason', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['10.0.0.1', /private/],
    ['172.16.5.4', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /link-local.*metadata/],
    ['100.100.100.200', /carrier-grade NAT/],
    ['0.0.0.0', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['fc00::1', /unique local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:a9fe:a9fe', /link-local/],
    ['::ffff:10.0.0.1', /private/],
    ['240.0.0.1', /reserved/],
  ])('refuses %s', (address, why) => {
    expect(refusedAddressReason(address)).toMatch(why);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public %s', (a) => {
    expect(refusedAddressReason(a)).toBeNull();
  });
});

describe('checkCallbackUrl', () => {
  it('resolves a name and refuses it when any of its addresses is not public', async () => {
    const dns = scriptedDns(['93.184.216.34', '10.0.0.8']);
    await expect(
      checkCallbackUrl('https://hooks.example.com/x', { allowPrivate: false, resolve: dns }),
    ).rejects.toThrow(/callback_url: hooks\.example\.com, which resolves to 10\.0\.0\.8, is a private/);
  });

  it('accepts a public name, and anything http(s) when private addresses are allowed', async () => {
    const dns = scriptedDns(['93.184.216.34']);
    const url = await checkCallbackUrl('https://hooks.example.com/x?a=1', { allowPrivate: false, resolve: dns });
    expect(url.toString()).toBe('https://hooks.example.com/x?a=1');
    await expect(checkCallbackUrl('http://127.0.0.1:9/', { allowPrivate: true })).resolves.toBeInstanceOf(URL);
    await expect(checkCallbackUrl('file:///etc/passwd', { allowPrivate: true })).rejects.toThrow(/http or https/);
  });

  it('says so when the name does not resolve', async () => {
    const failing: ResolveAll = () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    await expect(
      checkCallbackUrl('https://nowhere.invalid/', { allowPrivate: false, resolve: failing }),
    ).rejects.toThrow(/does not resolve \(ENOTFOUND\)/);
  });
});

describe('WebhookSender', () => {
  let receiver: WebhookReceiver;
  let url: string;

  beforeEach(async () => {
    receiver = new WebhookReceiver(SECRET);
    url = await receiver.start();
  });
  afterEach(() => receiver.stop());

  const body = '{"type":"job.completed"}';
  const headers = () => signedHeaders(SECRET, 'msg-1', body);

  it('posts the signed body, which verifies, and answers the status', async () => {
    const sender = new WebhookSender({ timeoutMs: 5000, allowPrivate: true });
    const result = await sender.send(`${url}/in`, headers(), body);
    expect(result).toEqual({ statusCode: 200, error: null, durationMs: expect.any(Number) });
    expect(receiver.received.map((r) => [r.id, r.verifyError, r.body])).toEqual([['msg-1', null, body]]);
  });

  it('refuses an address literal that is not public, connecting nowhere', async () => {
    const sender = new WebhookSender({ timeoutMs: 5000, allowPrivate: false });
    const result = await sender.send(`${url}/in`, headers(), body);
    expect(result).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback/),
    });
    expect(receiver.received).toEqual([]);
  });

  it('connects to the address it checked: a name rebound to loopback after the submit check is refused', async () => {
    // At submit the name resolved to a public address; by delivery it resolves to loopback.
    const dns = scriptedDns(['93.184.216.34'], ['127.0.0.1']);
    const hook = `http://rebind.example.com:${receiver.port}/in`;
    await expect(checkCallbackUrl(hook, { allowPrivate: false, resolve: dns })).resolves.toBeInstanceOf(URL);
    const sender = new WebhookSender({ timeoutMs: 5000, allowPrivate: false, resolve: dns });
    const result = await sender.send(hook, headers(), body);
    expect(result).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/^refused: rebind\.example\.com resolves to 127\.0\.0\.1, a loopback address/),
    });
    expect(dns.calls).toEqual(['rebind.example.com', 'rebind.example.com']);
    expect(receiver.received).toEqual([]);
  });

  it('connects to the pinned address a name resolved to (allowed private)', async () => {
    const dns = scriptedDns(['127.0.0.1']);
    const sender = new WebhookSender({ timeoutMs: 5000, allowPrivate: true, resolve: dns });
    const result = await sender.send(`http://pinned.example.com:${receiver.port}/in`, headers(), body);
    expect(result.statusCode).toBe(200);
    expect(receiver.received[0]!.headers.host).toBe(`pinned.example.com:${receiver.port}`);
  });

  it('gives up on a receiver that holds the request past the timeout', async () => {
    receiver.respond = () => 'hold';
    const sender = new WebhookSender({ timeoutMs: 300, allowPrivate: true });
    const result = await sender.send(`${url}/in`, headers(), body);
    expect(result).toMatchObject({ statusCode: null, error: 'no answer within 0.3 s (timeout)' });
    await receiver.waitFor((r) => r[0]?.aborted === true);
  });

  it('reports a refused connection and a non-2xx answer as errors', async () => {
    const sender = new WebhookSender({ timeoutMs: 5000, allowPrivate: true });
    receiver.respond = () => 503;
    expect(await sender.send(`${url}/in`, headers(), body)).toMatchObject({
      statusCode: 503,
      error: 'HTTP 503: receiver says no',
    });
    await receiver.stop();
    expect(await sender.send(`${url}/in`, headers(), body)).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
