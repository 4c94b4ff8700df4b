import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse } from '@nestjs/swagger';
import type { Response } from 'express';

import { CurrentUser } from '../core/auth/current-user.decorator';
import type { Principal } from '../core/auth/principal';
import { Roles } from '../core/auth/roles.decorator';
import { ApiErrors } from '../core/errors/api-errors.decorator';
import { ErrorCode } from '../core/errors/error-code';
import { ListQueryDto } from '../core/http/list-query.dto';
import { IdParam } from '../core/http/parse-id.pipe';
import { CreateSkillDto } from './dto/create-skill.dto';
import { RunSkillDto } from './dto/run-skill.dto';
import { RunSkillQueryDto } from './dto/run-skill-query.dto';
import { SkillListDto, SkillResponseDto } from './dto/skill-response.dto';
import { SkillRunListDto, SkillRunResponseDto } from './dto/skill-run-response.dto';
import { UpdateSkillDto } from './dto/update-skill.dto';
import { SkillRunsService } from './skill-runs.service';
import { SkillsService } from './skills.service';

@Controller('skills')
export class SkillsController {
  constructor(
    private readonly skills: SkillsService,
    private readonly runs: SkillRunsService,
  ) {}

  @Get()
  list(@CurrentUser() actor: Principal, @Query() query: ListQueryDto): Promise<SkillListDto> {
    return this.skills.list(actor, query);
  }

  @Post()
  @Roles('admin')
  @ApiErrors({ 409: 'CONFLICT: a skill with this name exists' })
  create(@Body() dto: CreateSkillDto): Promise<SkillResponseDto> {
    return this.skills.create(dto);
  }

  @Get(':name')
  get(@CurrentUser() actor: Principal, @Param('name') name: string): Promise<SkillResponseDto> {
    return this.skills.get(actor, name);
  }

  @Patch(':name')
  @Roles('admin')
  update(@Param('name') name: string, @Body() dto: UpdateSkillDto): Promise<SkillResponseDto> {
    return this.skills.update(name, dto);
  }

  @Delete(':name')
  @Roles('admin')
  @HttpCode(204)
  remove(@Param('name') name: string): Promise<void> {
    return this.skills.remove(name);
  }

  /** 200 with the finished run, or 202 + Location when it is still going (SPEC §8). */
  @Post(':name/run')
  @ApiOkResponse({
    type: SkillRunResponseDto,
    description: 'The run finished within SKILL_RUN_WAIT_MS',
  })
  @ApiAcceptedResponse({
    type: SkillRunResponseDto,
    description: 'With `?wait=false`, or when the wait ended first: the run as it stands',
    headers: { Location: { description: 'The run to poll', schema: { type: 'string' } } },
  })
  async run(
    @CurrentUser() actor: Principal,
    @Param('name') name: string,
    @Query() query: RunSkillQueryDto,
    @Body() _dto: RunSkillDto,
    // The params as sent: class-transformer's copy would drop keys such as `constructor`.
    @Body('params') params: Record<string, unknown> | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SkillRunResponseDto> {
    const { run, finished } = await this.runs.runAndWait(
      actor,
      name,
      params,
      query.wait !== 'false',
    );
    if (!finished) {
      res.status(202).setHeader('Location', `/api/v1/skills/${run.skill}/runs/${run.id}`);
    } else {
      res.status(200);
    }
    return run;
  }

  @Get(':name/runs')
  listRuns(
    @CurrentUser() actor: Principal,
    @Param('name') name: string,
    @Query() query: ListQueryDto,
  ): Promise<SkillRunListDto> {
    return this.runs.list(actor, name, query);
  }

  @Get(':name/runs/:id')
  getRun(
    @CurrentUser() actor: Principal,
    @Param('name') name: string,
    @IdParam('id', ErrorCode.SKILL_RUN_NOT_FOUND) id: string,
  ): Promise<SkillRunResponseDto> {
    return this.runs.get(actor, name, id);
  }
}
