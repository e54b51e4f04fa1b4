import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { faultOf, isTransient, RunnerError, toRunnerError } from '../src/errors.js';

const errors = suite('errors');

const errno = (code: string) => Object.assign(new Error(code), { code });

errors('network, throttling and Postgres connection faults are transient', () => {
  assert.ok(isTransient(errno('ECONNREFUSED')));
  assert.ok(isTransient({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
  assert.ok(isTransient({ $metadata: { httpStatusCode: 503 } }));
  assert.ok(isTransient(errno('57P01'))); // admin shutdown
});

errors('the runner out of disk or file handles is transient, not a grade', () => {
  for (const code of ['ENOSPC', 'EMFILE', 'ENFILE']) assert.is(toRunnerError(errno(code)).code, 'TRANSIENT');
});

errors('anything else is internal and keeps its cause', () => {
  const cause = errno('EACCES');
  const error = toRunnerError(cause);
  assert.equal([error.code, error.retryable, error.exitCode, error.cause], ['INTERNAL', false, 1, cause]);
  assert.is(new RunnerError('STOPPED', 'x').exitCode, 143);
});

errors('one fault policy: what each error means for the submission it hit', () => {
  const fault = (code: ConstructorParameters<typeof RunnerError>[0]) => faultOf(new RunnerError(code, 'x'));
  assert.is(fault('INVALID_SUBMISSION'), 'student');
  assert.is(fault('SUBMISSION_NOT_FOUND'), 'student');
  assert.is(fault('UNKNOWN_PIT'), 'exercise');
  assert.is(fault('INVALID_PIT'), 'exercise');
  assert.is(fault('STOPPED'), 'stop');
  assert.is(fault('INVALID_MESSAGE'), 'dead-letter');
  assert.is(fault('CONFIG'), 'runner');
  assert.is(faultOf(errno('ECONNRESET')), 'transient');
  assert.is(faultOf(new Error('a bug')), 'internal');
});

errors.run();
