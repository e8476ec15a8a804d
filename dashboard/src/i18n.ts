// Every string the dashboard shows, in Japanese and English. Both tables
// have the same keys (the `Strings` type makes the compiler check it), so a
// label can never be missing in one language.

export type Lang = "ja" | "en";

const en = {
  title: "Deliverability",
  subtitle: "Bounces, deferrals and what to do about them",
  range: "{from} – {to} (UTC)",
  refresh: "Refresh",
  updated: "Updated {time}",
  language: "日本語",
  languageTitle: "Switch to Japanese",
  token: "API token",
  tokenConnected: "Token: {scopes}",
  tokenChange: "Change token",
  tokenSignOut: "Forget token",
  tokenPrompt: "Enter an API token with the read scope. Marking notices also needs the notices scope.",
  tokenPlaceholder: "Paste the token",
  tokenRemember: "Remember on this browser",
  tokenConnect: "Connect",
  tokenChecking: "Checking…",
  tokenInvalid: "This token is not valid.",
  tokenNoRead: "This token lacks the read scope.",
  tokenHint: "Tokens are configured with REBOUND_API_TOKEN__<NAME>=sha256:<hash>:read,notices",
  scopeRead: "read",
  scopeNotices: "read + notices",
  loading: "Loading…",
  error: "Could not load: {message}",
  empty: "Nothing here.",
  none: "—",

  kpiDelivered: "Delivered",
  kpiHardBounces: "Hard bounces",
  kpiHardRate: "Hard-bounce rate",
  kpiDeferrals: "Deferrals",
  kpiComplaints: "Complaints",
  kpiPending: "Pending notices",
  kpiOfAttempts: "of {n} attempts",
  kpiThreshold: "threshold {rate}",
  kpiOverThreshold: "over the {rate} threshold",
  kpiDeferralRate: "deferral rate {rate}",
  kpiComplaintRate: "complaint rate {rate}",
  kpiPendingHint: "need a new address",
  kpiLast30: "last 30 days",

  volumeTitle: "Event volume by type",
  volumeHint: "Daily events. Click a legend entry to hide or show it.",
  rateTitle: "Hard-bounce rate",
  rateHint: "Hard bounces ÷ delivery attempts per day; the dashed line is the alert threshold.",
  threshold: "threshold {rate}",
  noData: "No events in this range yet.",

  reasonsTitle: "Top failure reasons",
  reasonsHint: "Why mail failed, and what to do about it.",
  domainsTitle: "Top recipient domains",
  domainsHint: "By volume; rates over the threshold are in red.",
  colReason: "Reason",
  colEvents: "Events",
  colDomain: "Domain",
  colVolume: "Volume",
  colDelivered: "Delivered",
  colHardRate: "Hard-bounce rate",
  colDeferralRate: "Deferral rate",

  softTitle: "Recurring soft bounces",
  softHint: "Addresses that keep failing temporarily (deferrals, soft bounces, blocks).",
  softMode: "Rule",
  softModeWindow: "N in a window",
  softModeConsecutive: "K in a row",
  softN: "At least N",
  softWindow: "Within",
  softK: "At least K",
  softApply: "Apply",
  softCount: "{n} addresses",
  softCountOne: "1 address",
  colRecipient: "Recipient",
  colUser: "User",
  colFailures: "Failures",
  colStreak: "In a row",
  colLastFailure: "Last failure",
  colAction: "What to do",

  noticesTitle: "Address-change notices",
  noticesHint: "A hard bounce to a dead address opens a notice: ask the user for a new address.",
  stateAll: "All",
  state_pending: "Pending",
  state_notified: "Notified",
  state_resolved: "Resolved",
  colState: "State",
  colBounced: "Bounced",
  colOpened: "Opened",
  colActions: "",
  markNotified: "Mark notified",
  resolve: "Resolve",
  needsNoticesScope: "Needs a token with the notices scope",
  markedNotified: "Notice #{id} is now notified.",
  resolved: "Notice #{id} is resolved.",
  alreadyInState: "Notice #{id} was already {state}.",
  actionFailed: "Could not change notice #{id}: {message}",
  noticesCount: "{n} notices",
  noticesCountOne: "1 notice",
  moreRows: "Showing the first {n}.",

  searchTitle: "Look up an address or user",
  searchHint: "An email address shows its verdict and timeline; anything else is taken as a user id.",
  searchPlaceholder: "alice@example.com or user id",
  search: "Look up",
  searchUnknown: "rebound has never seen {q}.",
  verdictSend: "OK to send",
  verdictStop: "Do not send",
  decision: "Decision",
  decision_send: "Send",
  decision_notify: "Send, and tell the user",
  decision_stop: "Stop sending",
  rule: "rule {rule}",
  streak: "Soft failures in a row",
  lastDelivered: "Last delivered",
  hardBounced: "Hard bounced",
  complained: "Complained",
  notice: "Notice",
  userAddresses: "{n} addresses of user {user}",
  userShouldSend: "All addresses may be mailed",
  userShouldNotSend: "Some addresses must not be mailed",
  timeline: "Timeline",
  colTime: "Time",
  colType: "Event",
  colReply: "SMTP reply",
  noEvents: "No events stored for this address.",

  type_delivered: "Delivered",
  type_deferred: "Deferred",
  type_bounce: "Bounce",
  type_hard: "Hard bounce",
  type_soft: "Soft bounce",
  type_block: "Blocked",
  type_drop: "Dropped",
  type_complaint: "Complaint",
  severity_hard: "hard",
  severity_soft: "soft",
  unclassified: "unclassified",

  action_ask_for_new_address: "Ask for a new address",
  action_notify_after_repeated: "Tell the user if it repeats",
  action_stop_after_repeated: "Stop if it repeats",
  action_fix_sender_reputation: "Fix the sender's reputation",
  action_fix_authentication: "Fix SPF / DKIM / DMARC",
  action_fix_sending_setup: "Fix the sending setup",
  action_fix_content: "Fix the content",
  action_shrink_message: "Make the message smaller",
  action_throttle: "Send more slowly",
  action_check_suppression: "Check the suppression list",
  action_stop_marketing: "Stop marketing mail",
  action_review_if_repeated: "Review if it repeats",
  action_none: "Nothing to do",
};

export type Key = keyof typeof en;
type Strings = Record<Key, string>;

const ja: Strings = {
  title: "配信状況",
  subtitle: "バウンス・遅延の状況と、取るべき対応",
  range: "{from} – {to}（UTC）",
  refresh: "更新",
  updated: "{time} 更新",
  language: "English",
  languageTitle: "英語に切り替え",
  token: "API トークン",
  tokenConnected: "トークン: {scopes}",
  tokenChange: "トークンを変更",
  tokenSignOut: "トークンを削除",
  tokenPrompt: "read スコープを持つ API トークンを入力してください。お知らせの状態を変更するには notices スコープも必要です。",
  tokenPlaceholder: "トークンを貼り付け",
  tokenRemember: "このブラウザーに保存する",
  tokenConnect: "接続",
  tokenChecking: "確認中…",
  tokenInvalid: "このトークンは無効です。",
  tokenNoRead: "このトークンには read スコープがありません。",
  tokenHint: "トークンは REBOUND_API_TOKEN__<NAME>=sha256:<ハッシュ>:read,notices で設定します",
  scopeRead: "read",
  scopeNotices: "read + notices",
  loading: "読み込み中…",
  error: "読み込めませんでした: {message}",
  empty: "該当なし",
  none: "—",

  kpiDelivered: "配信成功",
  kpiHardBounces: "ハードバウンス",
  kpiHardRate: "ハードバウンス率",
  kpiDeferrals: "配信遅延",
  kpiComplaints: "苦情",
  kpiPending: "未通知のお知らせ",
  kpiOfAttempts: "配信試行 {n} 件中",
  kpiThreshold: "しきい値 {rate}",
  kpiOverThreshold: "しきい値 {rate} を超過",
  kpiDeferralRate: "遅延率 {rate}",
  kpiComplaintRate: "苦情率 {rate}",
  kpiPendingHint: "アドレス変更の依頼が必要",
  kpiLast30: "過去 30 日",

  volumeTitle: "種類別イベント件数の推移",
  volumeHint: "日ごとのイベント数。凡例をクリックすると表示を切り替えます。",
  rateTitle: "ハードバウンス率",
  rateHint: "日ごとのハードバウンス ÷ 配信試行。破線はアラートのしきい値です。",
  threshold: "しきい値 {rate}",
  noData: "この期間のイベントはまだありません。",

  reasonsTitle: "主な失敗理由",
  reasonsHint: "失敗の理由と、取るべき対応。",
  domainsTitle: "主な宛先ドメイン",
  domainsHint: "件数順。しきい値を超える率は赤で表示します。",
  colReason: "理由",
  colEvents: "件数",
  colDomain: "ドメイン",
  colVolume: "件数",
  colDelivered: "配信成功",
  colHardRate: "ハードバウンス率",
  colDeferralRate: "遅延率",

  softTitle: "繰り返しのソフトバウンス",
  softHint: "一時的な失敗（遅延・ソフトバウンス・ブロック）が続いている宛先。",
  softMode: "条件",
  softModeWindow: "期間内に N 回",
  softModeConsecutive: "連続 K 回",
  softN: "N 回以上",
  softWindow: "期間",
  softK: "K 回以上",
  softApply: "適用",
  softCount: "{n} 件の宛先",
  softCountOne: "1 件の宛先",
  colRecipient: "宛先",
  colUser: "ユーザー",
  colFailures: "失敗回数",
  colStreak: "連続",
  colLastFailure: "最後の失敗",
  colAction: "対応",

  noticesTitle: "アドレス変更のお知らせ",
  noticesHint: "存在しないアドレスへのハードバウンスでお知らせが作られます。ユーザーに新しいアドレスを依頼してください。",
  stateAll: "すべて",
  state_pending: "未通知",
  state_notified: "通知済み",
  state_resolved: "解決済み",
  colState: "状態",
  colBounced: "バウンス日時",
  colOpened: "作成日時",
  colActions: "",
  markNotified: "通知済みにする",
  resolve: "解決済みにする",
  needsNoticesScope: "notices スコープを持つトークンが必要です",
  markedNotified: "お知らせ #{id} を通知済みにしました。",
  resolved: "お知らせ #{id} を解決済みにしました。",
  alreadyInState: "お知らせ #{id} はすでに{state}です。",
  actionFailed: "お知らせ #{id} を変更できませんでした: {message}",
  noticesCount: "{n} 件",
  noticesCountOne: "1 件",
  moreRows: "先頭の {n} 件を表示しています。",

  searchTitle: "宛先・ユーザーを調べる",
  searchHint: "メールアドレスなら送信可否と履歴を、それ以外はユーザー ID として検索します。",
  searchPlaceholder: "alice@example.com またはユーザー ID",
  search: "検索",
  searchUnknown: "{q} の記録はありません。",
  verdictSend: "送信できます",
  verdictStop: "送信しないでください",
  decision: "判定",
  decision_send: "送信する",
  decision_notify: "送信を続け、ユーザーに知らせる",
  decision_stop: "送信を止める",
  rule: "ルール {rule}",
  streak: "連続した一時的な失敗",
  lastDelivered: "最後の配信成功",
  hardBounced: "ハードバウンス",
  complained: "苦情",
  notice: "お知らせ",
  userAddresses: "ユーザー {user} のアドレス {n} 件",
  userShouldSend: "すべてのアドレスに送信できます",
  userShouldNotSend: "送信してはいけないアドレスがあります",
  timeline: "履歴",
  colTime: "日時",
  colType: "イベント",
  colReply: "SMTP 応答",
  noEvents: "このアドレスのイベントはありません。",

  type_delivered: "配信成功",
  type_deferred: "配信遅延",
  type_bounce: "バウンス",
  type_hard: "ハードバウンス",
  type_soft: "ソフトバウンス",
  type_block: "ブロック",
  type_drop: "ドロップ",
  type_complaint: "苦情",
  severity_hard: "恒久的",
  severity_soft: "一時的",
  unclassified: "未分類",

  action_ask_for_new_address: "新しいアドレスを依頼",
  action_notify_after_repeated: "続いたらユーザーに連絡",
  action_stop_after_repeated: "続いたら送信停止",
  action_fix_sender_reputation: "送信元の評価を改善",
  action_fix_authentication: "SPF・DKIM・DMARC を修正",
  action_fix_sending_setup: "送信設定を修正",
  action_fix_content: "内容を修正",
  action_shrink_message: "メッセージを小さく",
  action_throttle: "送信ペースを落とす",
  action_check_suppression: "抑止リストを確認",
  action_stop_marketing: "マーケティングメールを停止",
  action_review_if_repeated: "続いたら確認",
  action_none: "対応不要",
};

const tables: Record<Lang, Strings> = { en, ja };

let current: Lang = "en";

export function setLang(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
}

export function lang(): Lang {
  return current;
}

/** The string for `key` in the current language, with {name} filled in. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return tables[current][key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** A key built from data (e.g. "state_" + state), when it exists. */
export function tk(prefix: string, value: string): string {
  const key = (prefix + value) as Key;
  return key in en ? t(key) : value;
}

export function locale(): string {
  return current === "ja" ? "ja-JP" : "en-US";
}

export function formatNumber(n: number): string {
  return new Intl.NumberFormat(locale()).format(n);
}

/** 28.6 %, 5 %, 0.25 %: one decimal for large rates, two for small ones. */
export function formatPercent(rate: number): string {
  const digits = rate !== 0 && rate < 0.1 ? 2 : 1;
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: digits }).format(rate);
}

/** A timestamp in the browser's time zone, e.g. "11/22 14:05" or "11月22日 14:05". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return t("none");
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(d);
}

/** The initial language: the saved choice, else the browser's. */
export function initialLang(saved: string | null): Lang {
  if (saved === "ja" || saved === "en") return saved;
  return navigator.language.toLowerCase().startsWith("ja") ? "ja" : "en";
}
