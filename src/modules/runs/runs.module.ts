import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module';
import { InternalModule } from '../internal/internal.module';
import { CheckpointsRepository } from './checkpoints.repository';
import { RunEventHub } from './run-event-hub';
import { RunEventsRepository } from './run-events.repository';
import { RunEventWriter } from './run-event-writer';
import { RunExecutor } from './run-executor.service';
import { RunStepsRepository } from './run-steps.repository';
import { RunStreamsService } from './run-streams.service';
import { RunsController } from './runs.controller';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';

/** Runs: the executor (model/tool loop, heartbeats, sweep), their event logs, control and checkpoints. */
@Module({
  imports: [InternalModule, ConfigModule],
  controllers: [RunsController],
  providers: [
    RunsRepository,
    RunEventsRepository,
    RunStepsRepository,
    CheckpointsRepository,
    RunEventHub,
    RunEventWriter,
    RunExecutor,
    RunStreamsService,
    RunsService,
  ],
  exports: [RunsService],
})
export class RunsModule {}
