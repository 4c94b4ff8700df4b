import { IsString, Length } from 'class-validator';

import { Optional } from '../../core/http/optional.decorator';

export class CreateSessionDto {
  @Optional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @Optional()
  @IsString()
  @Length(1, 100)
  model?: string;
}

export class UpdateSessionDto extends CreateSessionDto {}

export interface SessionResponseDto {
  id: string;
  name: string;
  model: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface MessageResponseDto {
  id: string;
  session_id: string;
  role: string;
  content: string;
  model: string | null;
  tokens: number;
  status: string;
  created_at: Date;
}
