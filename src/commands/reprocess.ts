import { notBuilt } from './context.js';

export const reprocessCommand = notBuilt('reprocess', 'select past submissions and re-enqueue or grade them');
