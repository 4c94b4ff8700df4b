import { SetMetadata } from '@nestjs/common';

export const CHAT_LIMIT = 'openclaw:chat-limit';

/** Counts the route against RATE_LIMIT_CHAT_PER_MINUTE as well as the general limit. */
export const ChatRateLimit = () => SetMetadata(CHAT_LIMIT, true);
