import { Module } from '@nestjs/common';
import { SqlClient } from '../database/sql-client.port';
import { JobStore } from './job-store.port';
import { SqlJobStore } from './sql-job.store';

/** The JobStore alone, for modules that read or write jobs without serving the jobs API. */
@Module({
  providers: [{ provide: JobStore, useFactory: (sql: SqlClient) => new SqlJobStore(sql), inject: [SqlClient] }],
  exports: [JobStore],
})
export class JobStoreModule {}
