import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import type { Principal } from './principal';

/**
 * An API key with `models` may use only those (SPEC §4): any other is a 403 MODEL_NOT_ALLOWED,
 * checked before the model is looked up, so whether it exists elsewhere is not the key's business.
 */
export function assertKeyMayUse(principal: Principal, model: string): void {
  if (!keyMayUse(principal, model)) {
    throw new AppException(
      ErrorCode.MODEL_NOT_ALLOWED,
      `This API key may not use the model ${model}`,
      { model },
    );
  }
}

/** Whether the caller's key lets it use `model`: a JWT, or a key without `models`, may use any. */
export function keyMayUse(principal: Principal, model: string): boolean {
  return !principal.keyModels || principal.keyModels.includes(model);
}
