// The built-in recommended actions and the loader for the override file.
#include "classify/actions.hpp"

#include "classify/reason.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>

namespace rebound::classify {

namespace {

using enum bounce_reason;

struct default_action {
    bounce_reason reason;
    std::string_view action;
    bool address_dead;
    std::string_view en;
    std::string_view ja;
};

// Action codes, from the most to the least drastic:
//   ask_for_new_address    stop sending; ask the user for another address
//   notify_after_repeated  keep sending; tell the user if it keeps failing
//   stop_after_repeated    receiving side trouble; stop after 2-3 in a row
//   fix_sender_reputation  our IP or domain is refused; slow down, fix it
//   fix_authentication     SPF / DKIM / DMARC
//   fix_sending_setup      PTR, TLS, relay, sender address, protocol
//   fix_content            spam verdicts, format, attachments, policy
//   shrink_message         too large
//   throttle               too fast
//   check_suppression      the ESP's suppression list held it back
//   stop_marketing         the recipient complained or unsubscribed
//   review_if_repeated     undecided; look closer only if it repeats
//   none                   nothing to do
constexpr default_action builtin[] = {
    {authfailure, "fix_authentication", false,
     "The message failed SPF, DKIM or DMARC checks. Fix the sending domain's authentication (SPF record, DKIM "
     "signature, DMARC alignment).",
     "SPF・DKIM・DMARC の認証に失敗しました。送信ドメインの認証設定（SPF レコード、DKIM 署名、DMARC "
     "のアライメント）を修正してください。"},
    {badreputation, "fix_sender_reputation", false,
     "The receiving provider refused or slowed our mail because of the sending reputation. This is not the "
     "recipient's fault: slow down, send only wanted mail and repair the sending IP's and domain's reputation.",
     "送信元の評価（レピュテーション）が低いため、受信側が拒否または制限しました。受信者の問題ではありません。"
     "送信量を抑え、望まれるメールだけを送り、送信元 IP・ドメインの評価を改善してください。"},
    {blocked, "fix_sender_reputation", false,
     "The receiving server refused our sending IP or domain (block list, not allow-listed). This is not the "
     "recipient's fault: slow down and fix the sending side, e.g. ask for delisting.",
     "受信サーバーが送信元の IP アドレスまたはドメインを拒否しました（ブロックリストなど）。受信者の問題では"
     "ありません。送信ペースを落とし、リスト削除の申請など送信元の状態を改善してください。"},
    {contenterror, "fix_content", false,
     "The message format was refused (MIME structure, headers, encoding). Fix how the message is built.",
     "メッセージの形式（MIME 構造、ヘッダー、エンコーディング）が拒否されました。メッセージの作り方を修正して"
     "ください。"},
    {delivered, "none", false, "The message was delivered. Nothing to do.",
     "メッセージは配信されました。対応は不要です。"},
    {emailtoolarge, "shrink_message", false,
     "The message is larger than the receiving server accepts. Make it smaller: fewer or smaller attachments, or "
     "links instead.",
     "メッセージが受信サーバーの上限サイズを超えています。添付ファイルを減らす・小さくする、またはリンクに置き"
     "換えてください。"},
    {expired, "stop_after_repeated", false,
     "Delivery was retried until the time limit ran out, usually because the receiving server did not answer. "
     "Stop sending to this address only after 2-3 such failures in a row.",
     "受信サーバーが応答せず、再送期限が切れて配信を諦めました。同じ失敗が 2〜3 回続いた場合にのみ、このアド"
     "レスへの送信を止めてください。"},
    {failedstarttls, "fix_sending_setup", false,
     "An encrypted (TLS) connection was required but could not be set up. Check the sending servers' TLS "
     "settings.",
     "暗号化（TLS）接続が必要でしたが確立できませんでした。送信サーバーの TLS 設定を確認してください。"},
    {feedback, "stop_marketing", false,
     "The recipient reported the message as spam or unsubscribed. Stop sending them marketing mail.",
     "受信者がメッセージを迷惑メールとして報告したか、配信停止を希望しました。マーケティングメールの送信を止め"
     "てください。"},
    {filtered, "notify_after_repeated", false,
     "A filter on the recipient's side refused the message; the address itself may be fine. If it repeats, ask "
     "the user to allow mail from your sending address.",
     "受信側のフィルターがメッセージを拒否しました（アドレス自体は有効な可能性があります）。繰り返す場合は、"
     "送信元アドレスからのメールを許可するようユーザーに依頼してください。"},
    {hasmoved, "ask_for_new_address", true,
     "The mailbox has moved and mail is not forwarded. Stop sending to it and ask the user for the new address.",
     "宛先のメールボックスは移転しており、転送されません。送信を止め、ユーザーに新しいアドレスを確認してくだ"
     "さい。"},
    {hostunknown, "ask_for_new_address", true,
     "The address's domain does not exist (often a typo). Stop sending to it and ask the user for a new address.",
     "宛先のドメインが存在しません（入力ミスの可能性があります）。送信を止め、ユーザーに新しいアドレスを確認"
     "してください。"},
    {mailboxfull, "notify_after_repeated", false,
     "The recipient's mailbox is full. Keep sending for now; if it stays full over several messages, let the "
     "user know.",
     "宛先のメールボックスが容量不足です。しばらくは送信を続け、何度も続く場合はユーザーにお知らせください。"},
    {mailererror, "stop_after_repeated", false,
     "A delivery program on the receiving server failed. Retry later; stop only after 2-3 failures in a row.",
     "受信サーバーの配送プログラムが失敗しました。後で再送し、2〜3 回続けて失敗した場合にのみ送信を止めて"
     "ください。"},
    {networkerror, "stop_after_repeated", false,
     "A DNS or network problem prevented delivery. It is usually temporary: stop sending to this address only "
     "after 2-3 failures in a row.",
     "DNS またはネットワークの問題で配信できませんでした。通常は一時的です。2〜3 回続けて失敗した場合にの"
     "み、このアドレスへの送信を止めてください。"},
    {norelaying, "fix_sending_setup", false,
     "A server refused to relay the message: it is not the right server for this address. Check the sending "
     "route and the recipient domain's MX records.",
     "サーバーがメールの中継を拒否しました。送信経路と宛先ドメインの MX レコードを確認してください。"},
    {notaccept, "ask_for_new_address", true,
     "The recipient's domain accepts no email at all. Stop sending to it and ask the user for another address.",
     "宛先のドメインはメールを一切受け付けていません。送信を止め、ユーザーに別のアドレスを確認してください。"},
    {notcompliantrfc, "fix_content", false,
     "The message breaks the email format standard (RFC 5322), e.g. duplicate headers. Fix how the message is "
     "built.",
     "メッセージがメール形式の標準（RFC 5322）に違反しています（ヘッダーの重複など）。メッセージの作り方を修"
     "正してください。"},
    {onhold, "review_if_repeated", false,
     "The cause could not be determined from the error. Keep sending normally; read the raw error if it repeats.",
     "エラー内容から原因を判断できませんでした。通常どおり送信を続け、繰り返す場合はエラーの原文を確認してく"
     "ださい。"},
    {policyviolation, "fix_content", false,
     "The receiving organisation's policy refused the message (attachment type, closed list, internal rules). "
     "Review the message; the address itself may be fine.",
     "受信側組織のポリシー（添付ファイルの種類、限定メーリングリスト、組織の規則など）により拒否されました。"
     "メッセージを見直してください。アドレス自体は有効な可能性があります。"},
    {ratelimited, "throttle", false,
     "We sent too fast or too much for the receiving server. Lower the sending rate and the number of "
     "connections to this provider.",
     "受信サーバーに対して送信の速度または量が多すぎました。この宛先への送信速度と同時接続数を下げてください。"},
    {rejected, "fix_sending_setup", false,
     "Our sender address or sending domain was refused (unknown, unverified or not allowed). Check the From and "
     "envelope sender addresses.",
     "送信元アドレスまたは送信ドメインが拒否されました（存在しない、未確認、許可されていない）。From とエンベ"
     "ロープ送信者のアドレスを確認してください。"},
    {requireptr, "fix_sending_setup", false,
     "The receiving server requires the sending IP to have a valid reverse DNS (PTR) record. Ask whoever runs "
     "the sending servers to set one.",
     "受信サーバーは送信元 IP に正しい逆引き DNS（PTR レコード）を求めています。送信サーバーの管理者に設定を"
     "依頼してください。"},
    {securityerror, "fix_sending_setup", false,
     "The receiving server refused the message for a security reason (authentication required, security "
     "policy). Check the sending setup.",
     "受信サーバーがセキュリティ上の理由（認証が必要、セキュリティポリシーなど）で拒否しました。送信側の設定を"
     "確認してください。"},
    {spamdetected, "fix_content", false,
     "The receiving spam filter rejected the content. Review links, wording and images, and whether the "
     "recipient asked for this mail.",
     "受信側の迷惑メールフィルターが内容を拒否しました。リンク、文面、画像、そして受信者が希望したメールかどう"
     "かを見直してください。"},
    {suppressed, "check_suppression", false,
     "The ESP did not send because the address is on its suppression list (an earlier bounce, complaint or "
     "unsubscribe). Find out why before removing it from the list.",
     "アドレスが ESP の配信停止リストに載っているため送信されませんでした（過去のバウンス、苦情、配信停止）。"
     "リストから外す前に理由を確認してください。"},
    {suspend, "notify_after_repeated", false,
     "The recipient's account exists but is disabled or suspended. If it keeps failing, let the user know their "
     "mailbox is not receiving mail.",
     "宛先のアカウントは存在しますが、停止または無効化されています。失敗が続く場合は、メールが届いていないこと"
     "をユーザーにお知らせください。"},
    {syntaxerror, "fix_sending_setup", false,
     "The receiving server did not understand a command we sent. This is a sending-software problem; report it "
     "to whoever runs the sending servers.",
     "受信サーバーが送信側のコマンドを理解できませんでした。送信ソフトウェアの問題なので、送信サーバーの管理"
     "者に報告してください。"},
    {systemerror, "stop_after_repeated", false,
     "The receiving server had an internal error. Retry later; stop only after 2-3 failures in a row.",
     "受信サーバーで内部エラーが発生しました。後で再送し、2〜3 回続けて失敗した場合にのみ送信を止めてください。"},
    {systemfull, "stop_after_repeated", false,
     "The receiving server is out of storage. Retry later; stop only after 2-3 failures in a row.",
     "受信サーバーのディスク容量が不足しています。後で再送し、2〜3 回続けて失敗した場合にのみ送信を止めてくだ"
     "さい。"},
    {undefined, "review_if_repeated", false,
     "The failure came without any details. Keep sending normally; look into it if it repeats.",
     "詳細のないまま配信に失敗しました。通常どおり送信を続け、繰り返す場合は調査してください。"},
    {userunknown, "ask_for_new_address", true,
     "The address does not exist at the recipient's provider. Stop sending to it and ask the user for a new "
     "address.",
     "宛先のメールアドレスが存在しません。このアドレスへの送信を止め、ユーザーに新しいアドレスを確認してくださ"
     "い。"},
    {vacation, "none", false, "An automatic reply (out of office). The address works; nothing to do.",
     "自動応答（不在通知）です。アドレスは有効なので対応は不要です。"},
    {virusdetected, "fix_content", false,
     "The receiving virus scanner rejected the message. Check attachments and links; avoid executable and "
     "macro files.",
     "受信側のウイルススキャナーがメッセージを拒否しました。添付ファイルとリンクを確認し、実行形式やマクロ付き"
     "のファイルは避けてください。"},
};

static_assert(std::size(builtin) == 34, "one built-in action per reason of the vocabulary");

/// Action codes are identifiers other programs switch on.
bool
is_action_code(std::string_view s) noexcept
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string
key_path(std::string_view reason, std::string_view field = {})
{
    std::string out = "reasons.";
    out.append(reason);
    if (!field.empty()) out.append(".").append(field);
    return out;
}

using load_result = boost::system::result<action_table, std::string>;

load_result
failure(std::string message)
{
    return load_result(boost::system::in_place_error, std::move(message));
}

/// Applies one "reasons.<name>" object to its entry. Returns an error
/// message, or "" on success.
std::string
apply_override(action_entry& entry, std::string_view name, simdjson::dom::element value)
{
    simdjson::dom::object fields;
    if (value.get(fields)) return key_path(name) + ": expected an object";
    for (auto const [field, v] : fields) {
        if (field == "address_dead") {
            bool flag = false;
            if (v.get(flag)) return key_path(name, field) + ": expected true or false";
            entry.address_dead = flag;
            continue;
        }
        std::string* target = field == "action" ? &entry.action
                              : field == "en"   ? &entry.en
                              : field == "ja"   ? &entry.ja
                                                : nullptr;
        if (!target) return key_path(name, field) + ": unknown field (expected action, en, ja, address_dead)";
        std::string_view text;
        if (v.get(text)) return key_path(name, field) + ": expected a string";
        if (text.empty()) return key_path(name, field) + ": must not be empty";
        if (target == &entry.action && !is_action_code(text))
            return key_path(name, field) + ": must be lower_snake_case, got \"" + std::string(text) + "\"";
        target->assign(text);
    }
    return {};
}

}  // namespace

action_table::action_table()
{
    auto const reasons = all_reasons();
    entries_.reserve(reasons.size());
    for (auto const r : reasons) {
        auto const it = std::find_if(std::begin(builtin), std::end(builtin),
                                     [r](default_action const& a) { return a.reason == r; });
        action_entry entry{.reason = std::string(to_string(r)), .action = {}, .en = {}, .ja = {}, .address_dead = false};
        if (it != std::end(builtin)) {
            entry.action = it->action;
            entry.en = it->en;
            entry.ja = it->ja;
            entry.address_dead = it->address_dead;
        }
        entries_.push_back(std::move(entry));
    }
}

action_table const&
action_table::defaults()
{
    static action_table const table;
    return table;
}

boost::system::result<action_table, std::string>
action_table::load_file(std::string const& path)
{
    if (path.empty()) return defaults();
    simdjson::padded_string json;
    if (auto const error = simdjson::padded_string::load(path).get(json))
        return failure("cannot read " + path + ": " + simdjson::error_message(error));
    auto parsed = parse(json);
    if (!parsed) return failure(path + ": " + parsed.error());
    return parsed;
}

boost::system::result<action_table, std::string>
action_table::parse(std::string_view json)
{
    simdjson::dom::parser parser;
    simdjson::padded_string const padded(json);
    simdjson::dom::element root;
    if (auto const error = parser.parse(padded).get(root))
        return failure(std::string("not valid JSON: ") + simdjson::error_message(error));

    simdjson::dom::object top;
    if (root.get(top)) return failure("expected a JSON object with a \"reasons\" object");
    action_table table;
    for (auto const [key, value] : top) {
        if (key != "reasons") return failure(std::string(key) + ": unknown key (expected \"reasons\")");
        simdjson::dom::object reasons;
        if (value.get(reasons)) return failure("reasons: expected an object");
        for (auto const [name, entry_json] : reasons) {
            auto const reason = parse_reason(name);
            if (!reason || *reason == bounce_reason::none) return failure(key_path(name) + ": unknown reason");
            auto& entry = table.entry_for(*reason);
            if (auto message = apply_override(entry, name, entry_json); !message.empty())
                return failure(std::move(message));
        }
    }
    return table;
}

action_entry const*
action_table::find(std::string_view reason) const noexcept
{
    auto const parsed = parse_reason(reason);
    if (!parsed) return nullptr;
    auto const name = to_string(*parsed);
    for (auto const& e : entries_)
        if (e.reason == name) return &e;
    return nullptr;
}

std::vector<std::string>
action_table::dead_reasons() const
{
    std::vector<std::string> out;
    for (auto const& e : entries_)
        if (e.address_dead) out.push_back(e.reason);
    return out;
}

action_entry&
action_table::entry_for(bounce_reason reason) noexcept
{
    // The constructor made one entry per reason, in all_reasons() order.
    auto const reasons = all_reasons();
    auto const at = std::find(reasons.begin(), reasons.end(), reason) - reasons.begin();
    return entries_[static_cast<std::size_t>(at)];
}

}  // namespace rebound::classify
