import { notBuilt } from './context.js';

export const shellCommand = notBuilt('shell', 'a REPL with config, sql, S3 and SQS clients, or --hold for ECS Exec');
