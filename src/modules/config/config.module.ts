import { Module } from '@nestjs/common';
import { InternalModule } from '../internal/internal.module';
import { ConfigController } from './config.controller';
import { ConfigService } from './config.service';

/** `/api/v1/config`: component configurations and the config caches' statistics. */
@Module({
  imports: [InternalModule],
  controllers: [ConfigController],
  providers: [ConfigService],
})
export class ConfigModule {}
