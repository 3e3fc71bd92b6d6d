// Types of postgres-server.mjs (plain JavaScript, so test/run.mjs can start the server before tsx loads).
export interface TestPostgres {
  port: number;
  version: string;
  url: string;
  /** Stops the server, keeping its data: an outage. */
  pause(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}
/** `host`: the address it listens on (default 127.0.0.1); `allow`: a CIDR whose hosts may connect with the password. */
export function startPostgres(options?: { host?: string; allow?: string | null }): Promise<TestPostgres>;
