import { Module } from '@nestjs/common';
import { AuditController, PlatformAuditController } from './audit.controller';
import { AuditRepository, PlatformAuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

@Module({
  controllers: [AuditController, PlatformAuditController],
  providers: [AuditRepository, PlatformAuditRepository, AuditService],
  exports: [AuditService],
})
export class AuditModule {}
