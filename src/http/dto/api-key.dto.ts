import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { API_KEY_ROLES, type ApiKeyRole } from '../../tenants/request-principal';

export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const TENANT_ID_RULE =
  'tenant must be 1 to 63 lower-case letters, digits, _ or -, starting with a letter or digit';

export class CreateApiKeyDto {
  @ApiPropertyOptional({
    example: 'acme',
    description:
      "The key's tenant, created if new. An admin key manages its own tenant only (leave it out, or name it); " +
      'while the service runs open, any tenant.',
  })
  @IsOptional()
  @IsString()
  @Matches(TENANT_ID_PATTERN, { message: TENANT_ID_RULE })
  tenant?: string;

  @ApiProperty({ enum: API_KEY_ROLES, enumName: 'ApiKeyRole', example: 'write' })
  @IsIn(API_KEY_ROLES, { message: `role must be one of: ${API_KEY_ROLES.join(', ')}` })
  role!: ApiKeyRole;

  @ApiPropertyOptional({ example: 'ci', description: 'A name to tell keys apart in listings.' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'acme' })
  tenant_id!: string;

  @ApiProperty({ example: 'Xq3vB9kT', description: "The 8 characters after 'dik_': the key shows as dik_Xq3vB9kT_…" })
  prefix!: string;

  @ApiProperty({ enum: API_KEY_ROLES, enumName: 'ApiKeyRole' })
  role!: ApiKeyRole;

  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'to the minute' })
  last_used_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revoked_at!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    example: 'dik_Xq3vB9kT_3n5…',
    description: 'The key itself. Shown in this response only: it is stored as a hash and never shown again.',
  })
  key!: string;

  @ApiProperty({ description: 'Whether this request created the tenant.' })
  tenant_created!: boolean;

  @ApiPropertyOptional({
    description: "The new tenant's webhook signing secret (whsec_…); only when tenant_created, and only here.",
  })
  webhook_secret?: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] })
  keys!: ApiKeyDto[];
}
