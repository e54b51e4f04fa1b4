import { notBuilt } from './context.js';

export const processCommand = notBuilt('process', 'grade one submission');
