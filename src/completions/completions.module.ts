import { Module } from '@nestjs/common';

import { CompletionRunner } from './completion-runner';

/**
 * The one path of every provider call. Its gate is whatever provides COMPLETION_GATE in a global
 * module (usage and quotas do); without one, every call is admitted and nothing is counted.
 */
@Module({ providers: [CompletionRunner], exports: [CompletionRunner] })
export class CompletionsModule {}
