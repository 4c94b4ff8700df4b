import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import type { Principal } from '../core/auth/principal';
import { isUniqueViolation } from '../core/database/unique-violation';
import { EnvService } from '../core/env/env.service';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { ListQueryDto, Page, page } from '../core/http/list-query.dto';
import { CreateSkillDto, SKILL_NAME } from './dto/create-skill.dto';
import { SkillResponseDto } from './dto/skill-response.dto';
import { UpdateSkillDto } from './dto/update-skill.dto';
import { SkillEntity } from './entities/skill.entity';

@Injectable()
export class SkillsService {
  constructor(
    @InjectRepository(SkillEntity) private readonly skills: Repository<SkillEntity>,
    private readonly env: EnvService,
  ) {}

  async create(dto: CreateSkillDto): Promise<SkillResponseDto> {
    const entity = this.skills.create({
      name: dto.name,
      description: dto.description ?? '',
      script: dto.script,
      timeoutMs: this.checkTimeout(dto.timeout_ms) ?? this.env.get('SKILL_TIMEOUT_MS'),
    });
    try {
      return this.toResponse(await this.skills.save(entity), true);
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AppException(ErrorCode.CONFLICT, `A skill named ${dto.name} already exists`);
      throw err;
    }
  }

  async list(actor: Principal, query: ListQueryDto): Promise<Page<SkillResponseDto>> {
    const [rows, total] = await this.skills.findAndCount({
      order: { createdAt: query.order, id: query.order },
      take: query.limit,
      skip: query.offset,
    });
    return page(
      rows.map((s) => this.toResponse(s, actor.role === 'admin')),
      total,
      query,
    );
  }

  async get(actor: Principal, name: string): Promise<SkillResponseDto> {
    return this.toResponse(await this.findByName(name), actor.role === 'admin');
  }

  async update(name: string, dto: UpdateSkillDto): Promise<SkillResponseDto> {
    const skill = await this.findByName(name);
    const timeout = this.checkTimeout(dto.timeout_ms);
    if (dto.description !== undefined) skill.description = dto.description;
    if (dto.script !== undefined) skill.script = dto.script;
    if (timeout !== undefined) skill.timeoutMs = timeout;
    return this.toResponse(await this.skills.save(skill), true);
  }

  /** Its runs go with it. */
  async remove(name: string): Promise<void> {
    const skill = await this.findByName(name);
    await this.skills.delete({ id: skill.id });
  }

  async findByName(name: string): Promise<SkillEntity> {
    const skill = SKILL_NAME.test(name) ? await this.skills.findOneBy({ name }) : null;
    if (!skill) throw new AppException(ErrorCode.SKILL_NOT_FOUND);
    return skill;
  }

  private checkTimeout(timeout: number | undefined): number | undefined {
    const max = this.env.get('SKILL_MAX_TIMEOUT_MS');
    if (timeout !== undefined && timeout > max) {
      throw AppException.validation([
        {
          field: 'timeout_ms',
          message: `timeout_ms must not be greater than ${max} (SKILL_MAX_TIMEOUT_MS)`,
        },
      ]);
    }
    return timeout;
  }

  private toResponse(skill: SkillEntity, withScript: boolean): SkillResponseDto {
    return {
      name: skill.name,
      description: skill.description,
      ...(withScript ? { script: skill.script } : {}),
      timeout_ms: skill.timeoutMs,
      created_at: skill.createdAt,
      updated_at: skill.updatedAt,
    };
  }
}
