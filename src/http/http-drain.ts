import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server, ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';

/**
 * Lets the requests in flight at SIGTERM finish before the database closes. Nest closes the HTTP
 * server last, after every module's shutdown hook: an upload still streaming then met a closed
 * pool (a 500, its files orphaned), and a kept-alive connection could still bring new requests.
 * Here, as shutdown starts (onModuleDestroy), the server stops accepting connections, idle ones
 * close, and every response from then on carries `Connection: close`; before the database closes
 * (beforeApplicationShutdown), the requests left get up to HTTP_SHUTDOWN_GRACE_SECONDS, then their
 * connections are cut. Event streams end on their own at shutdown (JobEventsWatcher.stopping).
 */
@Injectable()
export class HttpDrain implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(HttpDrain.name);
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;
  private emptied: (() => void) | undefined;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.server()?.on('request', (_req, res: ServerResponse) => {
      if (this.draining) res.shouldKeepAlive = false;
      this.inFlight.add(res);
      res.once('close', () => {
        this.inFlight.delete(res);
        if (this.inFlight.size === 0) this.emptied?.();
      });
    });
  }

  onModuleDestroy(): void {
    const server = this.server();
    if (!server || this.draining) return;
    this.draining = true;
    for (const res of this.inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
    // Stops accepting; Nest's own close later finds it closed, which it ignores.
    server.close(() => undefined);
    server.closeIdleConnections();
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server();
    if (!server || this.inFlight.size === 0) return;
    const graceMs = this.config.httpShutdownGraceMs;
    this.logger.log(`waiting for ${this.inFlight.size} request(s) in flight, up to ${graceMs} ms`);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<true>((resolve) => (this.emptied = () => resolve(true))),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.logger.warn(`${this.inFlight.size} request(s) still running after ${graceMs} ms: cutting them off`);
      server.closeAllConnections();
    }
  }

  private server(): Server | undefined {
    return this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
  }
}
