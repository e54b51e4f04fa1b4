/** One received queue message. */
export interface ReceivedMessage {
  id: string;
  receiptHandle: string;
  body: string;
  /** 1 on the first delivery; past the queue's maxReceiveCount SQS moves the message to the DLQ. */
  receiveCount: number;
}

/** The few queue calls the runner makes: SQS in production (src/aws/queue.ts), a fake in tests and benchmarks. */
export interface Queue {
  readonly url: string;
  /** `visibilitySeconds`: how long received messages stay hidden before the first heartbeat renews it. */
  receive(options: { max: number; waitSeconds: number; visibilitySeconds?: number; signal?: AbortSignal }): Promise<ReceivedMessage[]>;
  delete(receiptHandle: string): Promise<void>;
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
  /** Sends in batches of ten (the SQS limit); throws TRANSIENT naming how many failed. */
  sendBatch(bodies: string[]): Promise<{ sent: number }>;
}
