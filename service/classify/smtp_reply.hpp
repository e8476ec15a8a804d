// Parsing of SMTP replies as ESPs forward them.
//
// The same reply reaches us in many shapes: "smtp; 550-5.1.1 ...", "550 5.1.1
// <a@b>: ...", "#5.1.1", multi-line replies with continuation lines, ESP
// wrappers ("PERM_FAILURE: SMTP Error (state 12): 550 ..."), a whole
// "Diagnostic-Code:" header, or the code and status in separate JSON fields.
// The parser finds the reply code (RFC 5321), the enhanced status (RFC 3463)
// and the human text in all of them.
//
// Input is untrusted and will be fuzzed: every function here accepts any
// bytes, never throws (other than std::bad_alloc) and never reads outside the
// input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rebound::classify {

struct smtp_reply {
    std::optional<int> code;  // 200..599
    std::string enhanced;     // "5.1.1", or "" when none was found
    std::string text;         // the human part: continuation lines joined, whitespace collapsed
    // The reply code and the enhanced status disagree on the class (e.g.
    // "550 4.2.2"). Both are kept as given: servers get one of them wrong and
    // the text usually tells which.
    bool classes_disagree = false;
};

/// Parses one reply in any of the shapes above.
smtp_reply parse_smtp_reply(std::string_view raw);

/// The reply as separate fields (e.g. SES `status` + `diagnosticCode`, Mailgun
/// `code` + `enhanced-code` + `message`). Valid fields are kept; invalid or
/// missing ones are filled from the text when it has them.
struct smtp_reply_fields {
    std::optional<int> code;
    std::string_view enhanced;
    std::string_view text;
};
smtp_reply parse_smtp_reply(smtp_reply_fields const& fields);

/// What parse_smtp_reply(fields) says about the code and the status, without
/// the text: what the classifier needs per event. Allocates nothing, and
/// does not read the text when both fields are valid.
struct smtp_reply_head {
    std::optional<int> code;
    char enhanced_text[12] = {};  // a status is at most 9 characters ("5.123.123")
    std::uint8_t enhanced_length = 0;
    bool classes_disagree = false;
    bool anything = false;  // a code, a status or some text (after trimming)

    std::string_view enhanced() const noexcept { return {enhanced_text, enhanced_length}; }
};
smtp_reply_head parse_smtp_reply_head(smtp_reply_fields const& fields);

/// 200..599.
bool is_reply_code(int code) noexcept;

/// RFC 3463 "class.subject.detail": class 2, 4 or 5, subject and detail of
/// one to three digits each.
bool is_enhanced_status(std::string_view s) noexcept;

}  // namespace rebound::classify
