import type { SqlClient } from '../database/sql-client.port';
import { CorrectionStore, type Correction, type NewCorrection } from './correction-store.port';

interface CorrectionRow {
  job_id: string;
  position: number;
  filename: string;
  label: string;
  predicted_label: string | null;
  text: string;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS = 'job_id, position, filename, label, predicted_label, text, created_at, updated_at';

/** CorrectionStore over SqlClient (PostgreSQL, Supabase or PGlite); table from 20261128000100. */
export class SqlCorrectionStore extends CorrectionStore {
  constructor(private readonly sql: SqlClient) {
    super();
  }

  async record(c: NewCorrection): Promise<Correction> {
    const [row] = await this.sql.query<CorrectionRow>(
      `insert into inbox_document_corrections (job_id, position, filename, label, predicted_label, text)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (job_id, position) do update set
         filename = excluded.filename, label = excluded.label, predicted_label = excluded.predicted_label,
         text = excluded.text, updated_at = clock_timestamp()
       returning ${COLUMNS}`,
      [c.jobId, c.position, c.filename, c.label, c.predictedLabel, c.text],
    );
    return toCorrection(row);
  }

  async list(limit: number): Promise<Correction[]> {
    const rows = await this.sql.query<CorrectionRow>(
      `select ${COLUMNS} from inbox_document_corrections order by updated_at desc, id desc limit $1`,
      [limit],
    );
    return rows.map(toCorrection);
  }

  async revision(): Promise<string> {
    const [row] = await this.sql.query<{ n: number; latest: string | null }>(
      `select count(*)::int as n, max(updated_at)::text as latest from inbox_document_corrections`,
    );
    return `${row.n}@${row.latest ?? '-'}`;
  }
}

function toCorrection(r: CorrectionRow): Correction {
  return {
    jobId: r.job_id,
    position: r.position,
    filename: r.filename,
    label: r.label,
    predictedLabel: r.predicted_label,
    text: r.text,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}
