import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** "invoice,receipt", or the field repeated: both become ['invoice', 'receipt']. */
const toIdList = ({ value }: { value: unknown }) =>
  (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** The multipart body of POST /classify-documents-async. */
export class ClassifyDocumentsDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'binary' },
    description: 'The documents: PDF, PNG, JPEG, TIFF, WebP or plain text (type is read from the bytes).',
  })
  @IsOptional() // taken by multer before validation; declared here for the OpenAPI document
  files?: unknown;

  @ApiPropertyOptional({
    type: 'string',
    example: 'invoice,receipt',
    description: 'Narrow the taxonomy for this job: category ids, comma-separated or repeated (see GET /categories).',
  })
  @IsOptional()
  @Transform(toIdList)
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(/^[a-z0-9_-]{1,64}$/, { each: true, message: 'categories must be category ids such as invoice' })
  categories?: string[];

  @ApiPropertyOptional({
    type: 'string',
    format: 'uri',
    example: 'https://example.com/hooks/inbox',
    description:
      "Where the job's end (job.completed, job.failed, job.cancelled) is POSTed, signed as Standard Webhooks " +
      "does; unset: the tenant's default (PUT /tenant/webhook). http(s) to a public address only.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  callback_url?: string;
}
