import { HttpStatus } from '@nestjs/common';

export enum ErrorCode {
  VALIDATION_ERROR = 'VALIDATION_ERROR',
  INVALID_JSON = 'INVALID_JSON',
  UNAUTHORIZED = 'UNAUTHORIZED',
  INVALID_API_KEY = 'INVALID_API_KEY',
  INVALID_TOKEN = 'INVALID_TOKEN',
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
  FORBIDDEN = 'FORBIDDEN',
  MODEL_NOT_ALLOWED = 'MODEL_NOT_ALLOWED',
  NOT_FOUND = 'NOT_FOUND',
  SESSION_NOT_FOUND = 'SESSION_NOT_FOUND',
  MESSAGE_NOT_FOUND = 'MESSAGE_NOT_FOUND',
  USER_NOT_FOUND = 'USER_NOT_FOUND',
  SKILL_NOT_FOUND = 'SKILL_NOT_FOUND',
  SKILL_RUN_NOT_FOUND = 'SKILL_RUN_NOT_FOUND',
  WEBHOOK_NOT_FOUND = 'WEBHOOK_NOT_FOUND',
  DELIVERY_NOT_FOUND = 'DELIVERY_NOT_FOUND',
  API_KEY_NOT_FOUND = 'API_KEY_NOT_FOUND',
  MODEL_NOT_FOUND = 'MODEL_NOT_FOUND',
  CONFLICT = 'CONFLICT',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMIT = 'RATE_LIMIT',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  INTERNAL_ERROR = 'INTERNAL_ERROR',
  UPSTREAM_ERROR = 'UPSTREAM_ERROR',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  UPSTREAM_TIMEOUT = 'UPSTREAM_TIMEOUT',
}

interface ErrorCodeInfo {
  status: HttpStatus;
  message: string;
}

/** Exhaustive: a code added to the enum without its status and message is a type error. */
export const ERROR_CODES: Record<ErrorCode, ErrorCodeInfo> = {
  VALIDATION_ERROR: { status: HttpStatus.BAD_REQUEST, message: 'The request is not valid' },
  INVALID_JSON: { status: HttpStatus.BAD_REQUEST, message: 'The request body is not valid JSON' },
  UNAUTHORIZED: {
    status: HttpStatus.UNAUTHORIZED,
    message: 'Authentication required: send Authorization: Bearer <token>',
  },
  INVALID_API_KEY: { status: HttpStatus.UNAUTHORIZED, message: 'API key is invalid' },
  INVALID_TOKEN: { status: HttpStatus.UNAUTHORIZED, message: 'Token is invalid or expired' },
  INVALID_CREDENTIALS: { status: HttpStatus.UNAUTHORIZED, message: 'Invalid email or password' },
  FORBIDDEN: { status: HttpStatus.FORBIDDEN, message: 'You are not allowed to do this' },
  MODEL_NOT_ALLOWED: {
    status: HttpStatus.FORBIDDEN,
    message: 'This API key may not use this model',
  },
  NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'Route not found' },
  SESSION_NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'Session not found' },
  MESSAGE_NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'Message not found' },
  USER_NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'User not found' },
  SKILL_NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'Skill not found' },
  SKILL_RUN_NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'Skill run not found' },
  WEBHOOK_NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'Webhook not found' },
  DELIVERY_NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'Delivery not found' },
  API_KEY_NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'API key not found' },
  MODEL_NOT_FOUND: { status: HttpStatus.NOT_FOUND, message: 'Model not found' },
  CONFLICT: { status: HttpStatus.CONFLICT, message: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: HttpStatus.PAYLOAD_TOO_LARGE, message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    message: 'The request body must be application/json',
  },
  RATE_LIMIT: { status: HttpStatus.TOO_MANY_REQUESTS, message: 'Rate limit exceeded' },
  QUOTA_EXCEEDED: { status: HttpStatus.TOO_MANY_REQUESTS, message: 'Quota exceeded' },
  INTERNAL_ERROR: { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' },
  UPSTREAM_ERROR: { status: HttpStatus.BAD_GATEWAY, message: 'The model provider failed' },
  SERVICE_UNAVAILABLE: {
    status: HttpStatus.SERVICE_UNAVAILABLE,
    message: 'A backing service is unavailable',
  },
  UPSTREAM_TIMEOUT: {
    status: HttpStatus.GATEWAY_TIMEOUT,
    message: 'The model provider did not answer in time',
  },
};
