import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BlockAgentEntity, BlockEntity } from './block.entity';
import { BlocksController } from './blocks.controller';
import { BlocksRepository } from './blocks.repository';
import { BlocksService } from './blocks.service';

@Module({
  imports: [TypeOrmModule.forFeature([BlockEntity, BlockAgentEntity])],
  controllers: [BlocksController],
  providers: [BlocksRepository, BlocksService],
  exports: [BlocksService, BlocksRepository],
})
export class MemoryModule {}
