import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ConfigModule } from '../config/config.module';
import { AgentLabelsRepository } from './agent-labels.repository';
import { AgentVersionsRepository } from './agent-versions.repository';
import { AgentsController } from './agents.controller';
import { AgentsRepository } from './agents.repository';
import { AgentsService } from './agents.service';

@Module({
  imports: [AuditModule, ConfigModule],
  controllers: [AgentsController],
  providers: [AgentsRepository, AgentVersionsRepository, AgentLabelsRepository, AgentsService],
  exports: [AgentsService],
})
export class AgentsModule {}
