import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyStore } from './api-key-store';

/**
 * API keys: their store and the guard that checks them. The HTTP role registers ApiKeyGuard as
 * APP_GUARD (src/http/http-api.module.ts); the CLI uses ApiKeyStore without Nest.
 */
@Module({
  imports: [TenantsModule],
  providers: [ApiKeyStore, ApiKeyGuard],
  exports: [ApiKeyStore, ApiKeyGuard, TenantsModule],
})
export class AuthModule {}
