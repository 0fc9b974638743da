import { Writable } from 'node:stream';
import { pino } from 'pino';
import { AppLogger } from './logging.module';

/** An AppLogger over a real pino writing JSON lines into memory. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: new AppLogger(pino({ level: 'trace' }, stream)), lines };
}

describe('AppLogger', () => {
  it('writes a message with the context Nest passes last, at the matching pino level', () => {
    const { logger, lines } = capture();
    logger.log('started', 'Bootstrap');
    logger.warn('slow', 'Runs');
    logger.verbose('detail', 'Runs');
    logger.debug('more');
    expect(lines.map(({ level, msg, context }) => ({ level, msg, context }))).toEqual([
      { level: 30, msg: 'started', context: 'Bootstrap' },
      { level: 40, msg: 'slow', context: 'Runs' },
      { level: 10, msg: 'detail', context: 'Runs' },
      { level: 20, msg: 'more', context: undefined },
    ]);
  });

  it('takes an object message as the line’s fields and the next argument as its message', () => {
    const { logger, lines } = capture();
    logger.error({ req: { id: 'r-1' }, err: new Error('boom') }, 'unhandled error', 'Errors');
    expect(lines[0]).toEqual(
      expect.objectContaining({
        level: 50,
        msg: 'unhandled error',
        context: 'Errors',
        req: { id: 'r-1' },
        err: expect.objectContaining({ message: 'boom', type: 'Error' }),
      }),
    );
  });

  it('logs an Error message as its err, and Nest’s (message, stack, context) as an err with that stack', () => {
    const { logger, lines } = capture();
    logger.error(new Error('thrown'), 'Errors');
    const stack = 'Error: failed\n    at handler (/app/x.js:1:1)';
    logger.error('failed', stack, 'ExceptionsHandler');
    expect(lines[0]).toEqual(
      expect.objectContaining({ context: 'Errors', err: expect.objectContaining({ message: 'thrown' }) }),
    );
    expect(lines[1]).toEqual(
      expect.objectContaining({
        level: 50,
        context: 'ExceptionsHandler',
        err: expect.objectContaining({ message: 'failed', stack }),
      }),
    );
  });

  it('formats extra arguments into the message as pino does', () => {
    const { logger, lines } = capture();
    logger.log('%d runs swept', 3, 'Runs');
    expect(lines[0]).toEqual(expect.objectContaining({ msg: '3 runs swept', context: 'Runs' }));
  });
});
