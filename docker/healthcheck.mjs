/* global process, console, fetch, AbortSignal */
// The image's HEALTHCHECK, for every ROLE, with Node's fetch (the slim image has no curl):
// server: PORT's /health/ready; worker: WORKER_HEALTH_PORT's /health/ready; migrate: a one-shot
// job, healthy while it runs. Exit 0 healthy, 1 not.
const role = process.env.ROLE || 'server';
const ports = { server: process.env.PORT || '3000', worker: process.env.WORKER_HEALTH_PORT };
if (role === 'migrate') process.exit(0);
const port = ports[role];
if (!port) {
  console.error(
    role === 'worker'
      ? 'WORKER_HEALTH_PORT is not set: the worker serves no health port'
      : `ROLE=${role} is not a role`,
  );
  process.exit(1);
}
try {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) console.error(`${role} /health/ready answered ${res.status}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`${role} /health/ready: ${err.message}`);
  process.exit(1);
}
