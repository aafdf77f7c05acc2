import { HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Every error the API returns has this shape. */
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 404, description: 'the HTTP status, repeated' })
  statusCode!: number;

  @ApiProperty({ example: 'Not Found', description: "the status's name" })
  error!: string;

  @ApiProperty({
    example: 'job 6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10 not found',
    description: 'what was wrong and what to do about it, for a human',
  })
  message!: string;

  @ApiPropertyOptional({
    format: 'uuid',
    example: '0b8e5c1a-7f2d-4c3e-9a61-5d4f3b2a1c0e',
    description:
      'On a 500, and on a 503 from the file store. Quote it when reporting the error: the server logged the cause under this id.',
  })
  errorId?: string;
}

/** The body the exception filter answers with (its `error` is the status's name, "Payload Too Large"). */
export function errorResponseBody(statusCode: number, message: string): ErrorResponseDto {
  const error = (HttpStatus[statusCode] ?? 'Error')
    .toString()
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
  return { statusCode, error, message };
}
