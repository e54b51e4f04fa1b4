import { notBuilt } from './context.js';

export const pitCommand = notBuilt('pit', 'PIT tooling: new, validate, verify');
