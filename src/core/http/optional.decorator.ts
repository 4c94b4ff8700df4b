import { ValidateIf } from 'class-validator';

/**
 * Like @IsOptional(), but only an absent field is skipped: `null` is validated (and rejected)
 * instead of slipping through to a NOT NULL column.
 */
export const Optional = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);
