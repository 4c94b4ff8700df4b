import { Matches } from 'class-validator';

/** A required text ("   " included) must hold something to show: whitespace alone is refused. */
export const NotBlank = () =>
  Matches(/\S/, { message: '$property must not be empty or only whitespace' });
