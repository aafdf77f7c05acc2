import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiKeyStore, type ApiKeyRecord } from '../auth/api-key-store';
import { ApiKeyNotFound, Forbidden } from '../auth/auth-errors';
import { RequiresRole } from '../auth/auth.decorators';
import { InvalidRequest } from '../common/errors';
import { CurrentPrincipal, type RequestPrincipal } from '../tenants/request-principal';
import {
  ApiKeyDto,
  ApiKeyListDto,
  CreateApiKeyDto,
  CreatedApiKeyDto,
  TENANT_ID_PATTERN,
  TENANT_ID_RULE,
} from './dto/api-key.dto';
import { ApiErrorResponses } from './api-error-responses.decorator';

const KEY_EXAMPLE: ApiKeyDto = {
  id: '8d2f4c1e-5b7a-4e3d-9c6f-1a2b3c4d5e6f',
  tenant_id: 'acme',
  prefix: 'Xq3vB9kT',
  role: 'write',
  name: 'ci',
  created_at: '2026-11-30T09:00:00.000Z',
  last_used_at: '2026-11-30T09:14:05.000Z',
  revoked_at: null,
};

const NOT_ADMIN = {
  description: 'The key is not an admin key, or names another tenant.',
  examples: {
    'not admin':
      "this key's role is 'write'; POST /keys needs 'admin' " +
      '(read: GET requests; write: uploads, cancel, retry, delete, labels; admin: keys and tenant settings)',
    'another tenant': "an admin key of tenant 'acme' creates keys for its own tenant only, not 'globex'",
  },
};

/**
 * The admin API for keys. An admin key manages its own tenant's keys; the open service (no key
 * yet, or AUTH_DISABLED) is the default tenant's admin and may manage every tenant's.
 */
@ApiTags('keys')
@ApiErrorResponses({ 401: true, 403: NOT_ADMIN, 503: true })
@RequiresRole('admin')
@Controller('keys')
export class KeysController {
  constructor(private readonly keys: ApiKeyStore) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key (shown in this response only); creates the tenant when it is new',
    description:
      "An admin key creates keys for its own tenant; the open service (no key yet) for any. The tenant's " +
      'webhook signing secret is in the answer when this call created the tenant, and never again.',
  })
  @ApiCreatedResponse({
    type: CreatedApiKeyDto,
    example: {
      ...KEY_EXAMPLE,
      last_used_at: null,
      key: 'dik_Xq3vB9kT_kD8n2Qp5sV1xZ7bR4tY9wE3uI6oA0cF2gH5jL8mN1',
      tenant_created: false,
    },
  })
  @ApiErrorResponses({
    400: {
      description: 'The role or the tenant id is not one the service takes.',
      examples: {
        'bad tenant': TENANT_ID_RULE,
        'bad role': 'role must be one of: admin, write, read',
      },
    },
  })
  async createApiKey(
    @Body() body: CreateApiKeyDto,
    @CurrentPrincipal() principal: RequestPrincipal,
  ): Promise<CreatedApiKeyDto> {
    const tenantId = body.tenant ?? principal.tenantId;
    if (!managesEveryTenant(principal) && tenantId !== principal.tenantId) {
      throw new Forbidden(
        `an admin key of tenant '${principal.tenantId}' creates keys for its own tenant only, not '${tenantId}'`,
      );
    }
    const created = await this.keys.create({ tenantId, role: body.role, name: body.name ?? null });
    return {
      ...toApiKeyDto(created.record),
      key: created.key,
      tenant_created: created.tenantCreated,
      ...(created.tenantCreated && created.tenant.webhook_secret
        ? { webhook_secret: created.tenant.webhook_secret }
        : {}),
    };
  }

  @Get()
  @ApiQuery({
    name: 'tenant',
    required: false,
    description: 'Only while the service runs open: one tenant (default: every tenant).',
  })
  @ApiOperation({
    operationId: 'listApiKeys',
    summary: "The tenant's keys, newest first (never the keys themselves)",
    description: 'Each key with its visible prefix, role, name, last use and revocation time.',
  })
  @ApiOkResponse({ type: ApiKeyListDto, example: { keys: [KEY_EXAMPLE] } })
  @ApiErrorResponses({
    400: { description: 'The tenant id is malformed.', examples: { 'bad tenant': TENANT_ID_RULE } },
  })
  async listApiKeys(
    @CurrentPrincipal() principal: RequestPrincipal,
    @Query('tenant') tenant?: string,
  ): Promise<ApiKeyListDto> {
    if (tenant !== undefined && !TENANT_ID_PATTERN.test(tenant)) throw new InvalidRequest(TENANT_ID_RULE);
    if (tenant !== undefined && !managesEveryTenant(principal) && tenant !== principal.tenantId) {
      throw new Forbidden(`an admin key of tenant '${principal.tenantId}' lists its own tenant's keys only`);
    }
    const scope = managesEveryTenant(principal) ? (tenant ?? null) : principal.tenantId;
    return { keys: (await this.keys.list(scope)).map(toApiKeyDto) };
  }

  @Delete(':key_id')
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke a key at once (by its id or its prefix); the next request with it is a 401',
    description: 'Revoking is for good: the key fails on the very next request, on every server process.',
  })
  @ApiParam({ name: 'key_id', description: "the key's id, or its prefix as listed" })
  @ApiOkResponse({
    type: ApiKeyDto,
    description: 'the key, revoked',
    example: { ...KEY_EXAMPLE, revoked_at: '2026-11-30T10:00:00.000Z' },
  })
  @ApiErrorResponses({
    404: {
      description: "No such key in the caller's tenant.",
      examples: { 'no such key': new ApiKeyNotFound('Zz9yX8wV').message },
    },
  })
  async revokeApiKey(
    @Param('key_id') reference: string,
    @CurrentPrincipal() principal: RequestPrincipal,
  ): Promise<ApiKeyDto> {
    const revoked = await this.keys.revoke(reference, managesEveryTenant(principal) ? null : principal.tenantId);
    if (!revoked) throw new ApiKeyNotFound(reference);
    return toApiKeyDto(revoked);
  }
}

/** The open service's admin (no key) manages every tenant; an admin key only its own. */
function managesEveryTenant(principal: RequestPrincipal): boolean {
  return principal.keyId === null && principal.role === 'admin';
}

function toApiKeyDto(k: ApiKeyRecord): ApiKeyDto {
  return {
    id: k.id,
    tenant_id: k.tenant_id,
    prefix: k.prefix,
    role: k.role,
    name: k.name,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    revoked_at: k.revoked_at,
  };
}
