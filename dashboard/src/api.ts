// The read API as the dashboard uses it: typed responses (see
// docs/openapi.yaml) and one fetch wrapper that sends the token and turns
// error bodies into exceptions that carry the HTTP status.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Explanation {
  en: string;
  ja: string;
}

export interface StatsRow {
  day?: string;
  domain?: string;
  reason?: string | null;
  event_type?: string;
  delivered: number;
  hard_bounces: number;
  soft_bounces: number;
  blocks: number;
  deferrals: number;
  drops: number;
  complaints: number;
  attempts: number;
  hard_bounce_rate: number;
  deferral_rate: number;
  complaint_rate: number;
  over_threshold: boolean;
}

export interface Stats {
  from: string;
  to: string;
  group_by: string;
  hard_bounce_threshold: number;
  hard_bounce_rate: number;
  items: StatsRow[];
}

export interface SoftBounceRow {
  recipient: string;
  recipient_domain: string;
  user_ref: string | null;
  failures: number;
  soft_streak: number;
  first_failure_at: string;
  last_failure_at: string;
  last_soft_reason: string | null;
  top_reasons: { reason: string; count: number }[] | null;
  action: string | null;
  explanation: Explanation | null;
}

export type NoticeState = "pending" | "notified" | "resolved";

export interface Notice {
  id: number;
  recipient: string;
  recipient_domain: string;
  user_ref: string | null;
  state: NoticeState;
  reason: string;
  bounced_at: string;
  opened_at: string;
  notified_at: string | null;
  resolved_at: string | null;
  resolution: string | null;
  action: string | null;
  explanation: Explanation | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ReasonText extends Partial<Explanation> {
  code: string;
  action?: string;
}

export interface RecipientStatus {
  address: string;
  domain?: string;
  user_ref?: string | null;
  known: boolean;
  should_send: boolean;
  decision: "send" | "notify" | "stop";
  decision_rule: string;
  needs_address_change: boolean;
  notice: { id: number; state: NoticeState; reason: string } | null;
  soft_bounce_streak: number;
  last_delivered_at?: string | null;
  last_soft_failure_at?: string | null;
  hard_bounced_at?: string | null;
  complained_at?: string | null;
  reason: ReasonText | null;
}

export interface UserStatus {
  user_ref: string;
  known: boolean;
  needs_address_change: boolean;
  should_send: boolean;
  addresses: RecipientStatus[];
}

export interface TimelineEvent {
  id: number;
  provider: string;
  event_type: string;
  occurred_at: string;
  smtp_code: number | null;
  enhanced_status: string | null;
  diagnostic: string | null;
  reason: string | null;
  severity: "soft" | "hard" | null;
  explanation: ReasonText | null;
}

export interface Transition {
  id: number;
  state: NoticeState;
  previous_state: NoticeState;
  changed: boolean;
}

export interface ReasonInfo {
  action: string;
  en: string;
  ja: string;
  address_dead: boolean;
}

export class Api {
  constructor(private readonly token: () => string) {}

  private async call<T>(method: "GET" | "POST", path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") query.set(k, String(v));
    const qs = query.toString();
    const url = path + (qs ? `?${qs}` : "");
    const headers: Record<string, string> = { Accept: "application/json", Authorization: `Bearer ${this.token()}` };
    let res: Response;
    try {
      res = await fetch(url, { method, headers, cache: "no-store" });
    } catch (e) {
      throw new ApiError(0, "network", e instanceof Error ? e.message : String(e));
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      throw new ApiError(res.status, "bad_response", `${res.status} ${res.statusText}`);
    }
    if (!res.ok) {
      const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(res.status, err?.code ?? "http_error", err?.message ?? `${res.status} ${res.statusText}`);
    }
    return body as T;
  }

  stats(groupBy: "day" | "domain" | "reason"): Promise<Stats> {
    return this.call("GET", "/v1/stats", { group_by: groupBy });
  }

  softBounces(p: { mode: "window" | "consecutive"; min_failures?: number; window?: string; min_streak?: number; limit: number }): Promise<Page<SoftBounceRow>> {
    return this.call("GET", "/v1/soft-bounces", p);
  }

  notices(state: NoticeState | "", limit: number): Promise<Page<Notice>> {
    return this.call("GET", "/v1/notices", { state, limit });
  }

  markNotified(id: number): Promise<Transition> {
    return this.call("POST", `/v1/notices/${id}/notified`);
  }

  resolve(id: number): Promise<Transition> {
    return this.call("POST", `/v1/notices/${id}/resolved`);
  }

  /**
   * Whether the token may change notices. The API checks the scope before
   * the id, so notice 0 (which cannot exist) answers 403 without the scope
   * and 404 with it, and nothing changes either way.
   */
  async canChangeNotices(): Promise<boolean> {
    try {
      await this.call("POST", "/v1/notices/0/notified");
      return true;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 403 || e.status === 401)) return false;
      if (e instanceof ApiError && e.status === 404) return true;
      throw e;
    }
  }

  recipient(address: string): Promise<RecipientStatus> {
    return this.call("GET", `/v1/recipients/${encodeURIComponent(address)}`);
  }

  timeline(address: string, limit: number): Promise<Page<TimelineEvent> & { address: string }> {
    return this.call("GET", `/v1/recipients/${encodeURIComponent(address)}/events`, { limit });
  }

  user(userRef: string): Promise<UserStatus> {
    return this.call("GET", `/v1/users/${encodeURIComponent(userRef)}`);
  }

  reasons(): Promise<{ reasons: Record<string, ReasonInfo> }> {
    return this.call("GET", "/dashboard/reasons.json");
  }
}
