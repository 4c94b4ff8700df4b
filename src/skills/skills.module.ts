import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { UserEntity } from '../users/entities/user.entity';
import { SkillEntity } from './entities/skill.entity';
import { SkillRunEntity } from './entities/skill-run.entity';
import { SkillRunsProcessor } from './jobs/skill-runs.processor';
import { SkillRunsReconciler } from './jobs/skill-runs.reconciler';
import { SkillRunsRepository } from './skill-runs.repository';
import { SkillRunsService } from './skill-runs.service';
import { SkillsController } from './skills.controller';
import { SkillsService } from './skills.service';

@Module({})
export class SkillsModule {
  /** The HTTP API where it is served, the worker where it runs: ROLE decides (SPEC §1). */
  static forRole({ api, worker }: { api: boolean; worker: boolean }): DynamicModule {
    return {
      module: SkillsModule,
      // UserEntity: the runs' owner relation, for a worker that loads no UsersModule.
      imports: [TypeOrmModule.forFeature([SkillEntity, SkillRunEntity, UserEntity])],
      controllers: api ? [SkillsController] : [],
      providers: [
        SkillsService,
        SkillRunsService,
        SkillRunsRepository,
        ...(worker ? [SkillRunsProcessor, SkillRunsReconciler] : []),
      ],
    };
  }
}
