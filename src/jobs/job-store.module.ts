import { Global, Module } from '@nestjs/common';
import { SqlClient } from '../database/sql-client.port';
import { JobStore } from './job-store.port';
import { SqlJobStore } from './sql-job.store';

/** The JobStore, global: the API, the worker, health and corrections all use it. */
@Global()
@Module({
  providers: [{ provide: JobStore, useFactory: (sql: SqlClient) => new SqlJobStore(sql), inject: [SqlClient] }],
  exports: [JobStore],
})
export class JobStoreModule {}
