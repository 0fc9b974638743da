import { Global, Module } from '@nestjs/common';
import { TENANT_RESOLVER } from '../../shared/auth/auth.ports';
import { AuditModule } from '../audit/audit.module';
import { TenantDirectory } from './tenant-directory.service';
import { TenantsController } from './tenants.controller';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

/** Global because authentication (shared/auth) resolves tenants through TENANT_RESOLVER. */
@Global()
@Module({
  imports: [AuditModule],
  controllers: [TenantsController],
  providers: [
    TenantsRepository,
    TenantsService,
    TenantDirectory,
    { provide: TENANT_RESOLVER, useExisting: TenantDirectory },
  ],
  exports: [TENANT_RESOLVER, TenantsService, TenantDirectory],
})
export class TenantsModule {}
