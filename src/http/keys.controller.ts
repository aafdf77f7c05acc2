import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeyStore, type ApiKeyRecord } from '../auth/api-key-store';
import { ApiKeyNotFound, Forbidden } from '../auth/auth-errors';
import { RequiresRole } from '../auth/auth.decorators';
import { ErrorResponseDto } from '../common/error-response.dto';
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

/**
 * The admin API for keys. An admin key manages its own tenant's keys; the open service (no key
 * yet, or AUTH_DISABLED) is the default tenant's admin and may manage every tenant's.
 */
@ApiTags('keys')
@ApiForbiddenResponse({ type: ErrorResponseDto, description: 'the key is not an admin key, or not of that tenant' })
@RequiresRole('admin')
@Controller('keys')
export class KeysController {
  constructor(private readonly keys: ApiKeyStore) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key (shown in this response only); creates the tenant when it is new',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
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
  @ApiOperation({ operationId: 'listApiKeys', summary: "The tenant's keys, newest first (never the keys themselves)" })
  @ApiQuery({
    name: 'tenant',
    required: false,
    description: 'Only while the service runs open: one tenant (default: every tenant).',
  })
  @ApiOkResponse({ type: ApiKeyListDto })
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
  })
  @ApiParam({ name: 'key_id', description: "the key's id, or its prefix as listed" })
  @ApiOkResponse({ type: ApiKeyDto, description: 'the key, revoked' })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: "no such key in the caller's tenant" })
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
