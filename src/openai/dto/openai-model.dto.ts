import { ApiProperty } from '@nestjs/swagger';

export class OpenAiModelDto {
  id: string;
  @ApiProperty({ enum: ['model'] })
  object: 'model';
  /** Unix seconds: when this server started serving it. */
  created: number;
  /** The provider serving it. */
  owned_by: string;
}

export class OpenAiModelListDto {
  @ApiProperty({ enum: ['list'] })
  object: 'list';
  data: OpenAiModelDto[];
}
