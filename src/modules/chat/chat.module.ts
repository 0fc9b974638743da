import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';

@Module({
  imports: [RunsModule],
  controllers: [ChatController],
  providers: [ChatService],
})
export class ChatModule {}
