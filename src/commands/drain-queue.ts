import { notBuilt } from './context.js';

export const drainQueueCommand = notBuilt('drain-queue', 'receive from SQS and grade until the queue is empty or a budget is spent');
