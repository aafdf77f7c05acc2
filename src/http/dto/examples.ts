import type { CategoryListDto } from './categories.dto';
import type { CorrectionDto } from './correction.dto';
import type { DocumentDto, JobAcceptedDto, JobDto, JobListDto, JobSummaryDto } from './job.response';

/**
 * The OpenAPI document's success examples: one story told consistently (the upload of
 * invoice.pdf and receipt.jpg, accepted pending at progress 0, completed at 100), typed by the
 * DTOs so an example cannot drift from the shape it illustrates.
 */
export const EXAMPLE_JOB_ID = '6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10';

export const JOB_ACCEPTED_EXAMPLE: JobAcceptedDto = {
  job_id: EXAMPLE_JOB_ID,
  status: 'pending',
  status_url: `/job/${EXAMPLE_JOB_ID}`,
  total_files: 2,
};

const CREATED_AT = '2026-12-01T09:30:00.000Z';
const STARTED_AT = '2026-12-01T09:30:00.412Z';
const COMPLETED_AT = '2026-12-01T09:30:03.870Z';

const summary = (overrides: Partial<JobSummaryDto>): JobSummaryDto => ({
  job_id: EXAMPLE_JOB_ID,
  type: 'classify',
  status: 'pending',
  progress: 0,
  total_files: 2,
  processed_files: 0,
  failed_files: 0,
  total_documents: 2,
  processed_documents: 0,
  failed_documents: 0,
  attempts: 0,
  crashes: 0,
  max_attempts: 3,
  error: null,
  categories: null,
  created_at: CREATED_AT,
  started_at: null,
  completed_at: null,
  updated_at: CREATED_AT,
  next_attempt_at: null,
  ...overrides,
});

export const JOB_COMPLETED_SUMMARY_EXAMPLE = summary({
  status: 'completed',
  progress: 100,
  processed_files: 2,
  processed_documents: 2,
  attempts: 1,
  started_at: STARTED_AT,
  completed_at: COMPLETED_AT,
  updated_at: COMPLETED_AT,
});

export const JOB_PENDING_SUMMARY_EXAMPLE = summary({});

/** Cancelled after its first document: the second ended skipped. */
export const JOB_CANCELLED_SUMMARY_EXAMPLE = summary({
  status: 'cancelled',
  progress: 50,
  processed_files: 1,
  processed_documents: 1,
  attempts: 1,
  started_at: STARTED_AT,
  completed_at: '2026-12-01T09:30:02.050Z',
  updated_at: '2026-12-01T09:30:02.050Z',
});

/** That cancelled job, retried: pending again, resuming at its unfinished document. */
export const JOB_RETRIED_SUMMARY_EXAMPLE = summary({
  status: 'pending',
  progress: 50,
  processed_files: 1,
  processed_documents: 1,
  started_at: STARTED_AT,
  updated_at: '2026-12-01T09:41:17.300Z',
});

const document = (overrides: Partial<DocumentDto>): DocumentDto => ({
  index: 0,
  position: 0,
  page_from: 1,
  page_to: 1,
  filename: 'invoice.pdf',
  content_type: 'application/pdf',
  size: 48213,
  sha256: '9f2c4e1b7a3d5f60c8e2b1a4d7f9e3c5b2a8d6f4e1c3b5a7d9f2e4c6b8a1d3f5',
  status: 'completed',
  document_type: 'invoice',
  confidence: 0.97,
  reasons: ['keywords: invoice, amount due, vat'],
  pages: 1,
  page_count: 1,
  text_sources: ['text-layer'],
  ocr_confidence: null,
  classifier: 'local',
  warnings: [],
  error: null,
  ...overrides,
});

export const JOB_COMPLETED_EXAMPLE: JobDto = {
  ...JOB_COMPLETED_SUMMARY_EXAMPLE,
  result: {
    documents: [
      document({}),
      document({
        index: 1,
        position: 1,
        filename: 'receipt.jpg',
        content_type: 'image/jpeg',
        size: 312877,
        sha256: '4b7d9e2f1a6c3e8b5d0f2a4c6e8b1d3f5a7c9e2b4d6f8a1c3e5b7d9f2a4c6e8b',
        document_type: 'receipt',
        confidence: 0.88,
        reasons: ['keywords: receipt, total, thank you'],
        text_sources: ['tesseract'],
        ocr_confidence: 0.91,
      }),
    ],
    counts_by_type: { invoice: 1, receipt: 1 },
  },
  files: [
    {
      position: 0,
      filename: 'invoice.pdf',
      content_type: 'application/pdf',
      size: 48213,
      sha256: '9f2c4e1b7a3d5f60c8e2b1a4d7f9e3c5b2a8d6f4e1c3b5a7d9f2e4c6b8a1d3f5',
      page_count: 1,
      download_url: `/job/${EXAMPLE_JOB_ID}/files/0`,
      purged_at: null,
    },
    {
      position: 1,
      filename: 'receipt.jpg',
      content_type: 'image/jpeg',
      size: 312877,
      sha256: '4b7d9e2f1a6c3e8b5d0f2a4c6e8b1d3f5a7c9e2b4d6f8a1c3e5b7d9f2a4c6e8b',
      page_count: 1,
      download_url: `/job/${EXAMPLE_JOB_ID}/files/1`,
      purged_at: null,
    },
  ],
  events: [
    { id: '101', type: 'job.created', payload: { files: 2 }, created_at: CREATED_AT },
    { id: '102', type: 'job.started', payload: { attempt: 1, worker: 'worker-7f3a' }, created_at: STARTED_AT },
    {
      id: '103',
      type: 'document.completed',
      payload: { index: 0, label: 'invoice', confidence: 0.97 },
      created_at: '2026-12-01T09:30:01.020Z',
    },
    {
      id: '104',
      type: 'document.completed',
      payload: { index: 1, label: 'receipt', confidence: 0.88 },
      created_at: '2026-12-01T09:30:03.860Z',
    },
    {
      id: '105',
      type: 'job.completed',
      payload: { documents: 2, completed: 2, failed: 0 },
      created_at: COMPLETED_AT,
    },
  ],
};

export const JOB_LIST_EXAMPLE: JobListDto = {
  jobs: [JOB_COMPLETED_SUMMARY_EXAMPLE],
  next_cursor: 'MjAyNi0xMi0wMVQwOTozMDowMC4wMDBafDZmMWMyYjllLTJhNWUtNGQ3Zi05YTQzLTJmN2I4ZTNjMWQxMA',
};

export const CORRECTION_EXAMPLE: CorrectionDto = {
  job_id: EXAMPLE_JOB_ID,
  position: 1,
  filename: 'receipt.jpg',
  label: 'invoice',
  predicted_label: 'receipt',
  created_at: '2026-12-01T10:02:11.500Z',
  updated_at: '2026-12-01T10:02:11.500Z',
};

export const CATEGORY_LIST_EXAMPLE: CategoryListDto = {
  categories: [
    {
      id: 'invoice',
      label: 'Invoice',
      description: 'A bill from a supplier that lists goods or services and asks for payment.',
      keywords: ['invoice', 'amount due', 'facture', 'rechnung'],
    },
    {
      id: 'receipt',
      label: 'Receipt',
      description: 'Proof of a payment already made, from a shop, restaurant or online store.',
      keywords: ['receipt', 'total', 'paid', 'change'],
    },
  ],
  fallback: 'other',
};
