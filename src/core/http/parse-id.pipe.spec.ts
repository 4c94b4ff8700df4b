import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { ParseIdPipe } from './parse-id.pipe';

describe(ParseIdPipe.name, () => {
  const pipe = new ParseIdPipe(ErrorCode.USER_NOT_FOUND);

  it('passes a UUID through, lower-cased', () => {
    expect(pipe.transform('0285AD25-FE17-4FA5-9C44-40DC82EFF6D4')).toBe(
      '0285ad25-fe17-4fa5-9c44-40dc82eff6d4',
    );
  });

  it.each(['123', 'not-a-uuid', "' OR 1=1 --", '0285ad25-fe17-4fa5-9c44-40dc82eff6d4x'])(
    'turns %p into the resource 404',
    (id) => {
      expect(() => pipe.transform(id)).toThrow(AppException);
      try {
        pipe.transform(id);
      } catch (e) {
        expect((e as AppException).code).toBe(ErrorCode.USER_NOT_FOUND);
      }
    },
  );
});
