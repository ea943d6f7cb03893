import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module';
import { OpenAiController } from './openai.controller';
import { OpenAiService } from './openai.service';

/** OpenAI-compatible chat completions, a thin subscriber of the runs' events. */
@Module({ imports: [RunsModule], controllers: [OpenAiController], providers: [OpenAiService] })
export class OpenAiModule {}
