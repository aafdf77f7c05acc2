import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DbFunctions } from '../database/db-functions.port';
import { SqlClient } from '../database/sql-client.port';
import { JobQueue } from './job-queue.port';
import { SqlJobQueue } from './sql-job.queue';

/** The worker's JobQueue, with the worker's lease length; imported by the worker role only. */
@Module({
  providers: [
    {
      provide: JobQueue,
      // No SQL session over Supabase's RPC, so no LISTEN: the worker polls.
      useFactory: (db: DbFunctions, sql: SqlClient | null, config: AppConfig) =>
        new SqlJobQueue(db, { leaseSeconds: config.worker.leaseSeconds, listen: sql?.listen.bind(sql) }),
      inject: [DbFunctions, { token: SqlClient, optional: true }, AppConfig],
    },
  ],
  exports: [JobQueue],
})
export class JobQueueModule {}
