// The Textract async path's S3 calls are served by the full fake in fake-s3.server.ts.
export { FakeS3 as FakeS3Buckets, type S3RequestRecord } from './fake-s3.server';
