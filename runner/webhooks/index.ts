/** Webhook delivery (see deliver.ts). */
export { startWebhookWorker } from './deliver.ts';
