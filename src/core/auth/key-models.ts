import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import type { Principal } from './principal';

/**
 * An API key with `models` may use only those (SPEC §4): any other is a 403 MODEL_NOT_ALLOWED,
 * checked before the model is looked up, so whether it exists elsewhere is not the key's business.
 */
export function assertKeyMayUse(principal: Principal, model: string): void {
  if (principal.keyModels && !principal.keyModels.includes(model)) {
    throw new AppException(
      ErrorCode.MODEL_NOT_ALLOWED,
      `This API key may not use the model ${model}`,
      { model },
    );
  }
}
