export { createMailTransport, messageIdFor } from './email.ts';
export { createSendMessage, UNKNOWN_OUTCOME, type SendMessageDeps } from './send-message.ts';
export { sendMessageInput, sendResult, type SendMessageInput, type SendResult } from './schema.ts';
export type { SmsProvider } from './sms.ts';
export { applySmsKeyword, recordEmailBounce, suppress, type EmailBounce } from './suppressions.ts';
export { unsubscribeLinks, unsubscribeToken, verifyUnsubscribeToken } from './unsubscribe.ts';
