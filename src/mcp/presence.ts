import type { Board } from '../board/board.js';

/**
 * The presence of one MCP session: the agent the session acts as stays alive while the session
 * is connected — whatever the model does meanwhile (a two-minute `npm test` is no reason to lose
 * a task). Over stdio the session is this process, so it is connected until stdin closes; over
 * HTTP the transport says (its event stream is open and answers pings, or the client was seen
 * within the lease). When the session ends, renewals stop and the lease runs out within its TTL.
 *
 * The agent is the one the session registered as (register_instance), else the one it is
 * configured as (the X-Orchestrator-Agent header, ORCHESTRATOR_AGENT) once that agent is online
 * — the SessionStart hook may register it after the server has started.
 */
export class SessionPresence {
  private registered: string | null = null;
  private configured: string | null = null;
  private kept: { ref: string; id: string; release: () => void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly board: Board, private readonly connected: () => boolean = () => true) {}

  /** The agent register_instance made this session (null: none now): it outranks the configured one. */
  registeredAs(agentId: string | null): void {
    this.registered = agentId;
    void this.check();
  }

  hasRegistered(): boolean {
    return this.registered !== null;
  }

  /** The agent the session is configured as (header or environment); null for none. */
  configuredAs(ref: string | null): void {
    if (ref === this.configured) return;
    this.configured = ref;
    void this.check();
  }

  /** Starts looking every third of the lease: connected or not, and who the session is. */
  start(): this {
    const every = Math.max(100, Math.floor(this.board.settings.leaseTtlMs / 3));
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
    void this.check();
    return this;
  }

  /** The session ended: its agent is no longer kept (its lease runs out). */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.let();
  }

  /** Keeps the session's agent while connected; lets it go when the session is not. */
  check(): Promise<void> {
    this.checking ??= this.update().catch(() => undefined).finally(() => (this.checking = null));
    return this.checking;
  }

  private async update(): Promise<void> {
    const ref = this.registered ?? this.configured;
    if (ref === null || this.closed || !this.connected()) {
      this.let();
      return;
    }
    // Still kept under the same name: nothing to do (an unregistered agent is dropped by the board's presence).
    if (this.kept?.ref === ref && this.board.presence.isKept(this.kept.id)) return;
    this.let();
    const agent = await this.board.agents.get(ref).catch(() => null);
    if (!agent || agent.status !== 'online' || this.closed) return;
    this.kept = { ref, id: agent.id, release: this.board.presence.keep(agent.id) };
  }

  private let(): void {
    this.kept?.release();
    this.kept = null;
  }
}
