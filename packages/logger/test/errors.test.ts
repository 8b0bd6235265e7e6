import { errorMessage } from '@confluence/logger';

describe('errorMessage', () => {
  test('when an Error is thrown, then its message is returned without the name or stack', () => {
    expect(errorMessage(new Error('connection refused'))).toBe('connection refused');
    expect(errorMessage(new TypeError('bad type'))).toBe('bad type');
  });

  test('when something else is thrown, then it is turned into a string', () => {
    expect(errorMessage('plain string')).toBe('plain string');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage(null)).toBe('null');
    expect(errorMessage({ toString: () => 'custom' })).toBe('custom');
  });
});
