import { Module } from '@nestjs/common';
import { TenantStore } from './tenant-store';

/** Tenants' own settings (signing secret, default callback URL, taxonomy); both roles read them. */
@Module({ providers: [TenantStore], exports: [TenantStore] })
export class TenantsModule {}
