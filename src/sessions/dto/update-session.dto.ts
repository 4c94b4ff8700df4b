import { CreateSessionDto } from './create-session.dto';

export class UpdateSessionDto extends CreateSessionDto {}
