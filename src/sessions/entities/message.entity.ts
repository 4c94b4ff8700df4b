import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

import { SessionEntity } from './session.entity';

export type MessageRole = 'user' | 'assistant';
export type MessageStatus = 'complete' | 'incomplete';

@Entity({ name: 'messages' })
@Index('ux_messages_session_seq', ['sessionId', 'seq'], { unique: true })
export class MessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @ManyToOne(() => SessionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: SessionEntity;

  /** Position in the session: exact order even within one millisecond. */
  @Column({ type: 'int' })
  seq: number;

  @Column({ type: 'varchar', length: 16 })
  role: MessageRole;

  @Column({ type: 'text' })
  content: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  model: string | null;

  @Column({ type: 'int', default: 0 })
  tokens: number;

  @Column({ type: 'varchar', length: 16 })
  status: MessageStatus;

  @Column({ name: 'created_at' })
  createdAt: Date;
}
