import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { AuditModule } from '../audit/audit.module';
import { ConfigModule } from '../config/config.module';
import { TemplatesController } from './templates.controller';
import { TemplatesRepository } from './templates.repository';
import { TemplatesService } from './templates.service';

@Module({
  imports: [AuditModule, AgentsModule, ConfigModule],
  controllers: [TemplatesController],
  providers: [TemplatesRepository, TemplatesService],
})
export class TemplatesModule {}
