import { notBuilt } from './context.js';

export const dispatchCommand = notBuilt('dispatch', 'run a pit-runner task on ECS, stream its logs, exit with its code');
