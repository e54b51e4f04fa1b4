import { notBuilt } from './context.js';

export const migrateCommand = notBuilt('migrate', 'apply pending SQL migrations');
