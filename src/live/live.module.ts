import { Module } from '@nestjs/common';
import { DbFunctions } from '../database/db-functions.port';
import { SqlClient } from '../database/sql-client.port';
import { JobEventLog } from './job-event-log';
import { JobEventsWatcher } from './job-events.watcher';
import { JobFollower } from './job-follower';
import { LiveSettings } from './live-settings';

/**
 * Live progress for the HTTP role: the job event log, one shared watcher (LISTEN where the
 * transport has a SQL session, polling over Supabase's RPC) and the follower that SSE and long
 * polling use.
 */
@Module({
  providers: [
    { provide: LiveSettings, useValue: new LiveSettings() },
    { provide: JobEventLog, useFactory: (db: DbFunctions) => new JobEventLog(db), inject: [DbFunctions] },
    {
      provide: JobEventsWatcher,
      useFactory: (sql: SqlClient | null, log: JobEventLog, settings: LiveSettings) =>
        new JobEventsWatcher({
          listen: sql?.listen.bind(sql),
          watch: (jobIds, seconds) => log.watch(jobIds, seconds),
          pollIntervalMs: settings.pollIntervalMs,
          safetyPollIntervalMs: settings.safetyPollIntervalMs,
        }),
      inject: [{ token: SqlClient, optional: true }, JobEventLog, LiveSettings],
    },
    {
      provide: JobFollower,
      useFactory: (log: JobEventLog, watcher: JobEventsWatcher) => new JobFollower(log, watcher),
      inject: [JobEventLog, JobEventsWatcher],
    },
  ],
  exports: [JobFollower, JobEventsWatcher, LiveSettings],
})
export class LiveModule {}
