// Immutable text that events share instead of copying, and the per-request
// arena most of it comes from.
//
// A SendGrid batch of 100 events used to make about 500 heap strings (each
// event's raw JSON, id, address, message id and SMTP reply), allocated on an
// I/O thread and freed on a writer thread after the commit. Those blocks,
// not the parsing, were the largest part of turning a body into events: the
// raw JSON alone was a seventh of parse + classify, the id and message id
// another eighth. So an event's longer texts view memory that a request owns
// once: the parsed copy of its body (raw JSON) or a text_arena (everything
// that had to be unescaped, lower-cased or derived). The memory lives as long
// as the last shared_text that views it, so events can be copied, moved to
// other threads and kept past their request without a dangling view.
#pragma once

#include <cstddef>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rebound::model {

class shared_text {
public:
    shared_text() = default;
    /// An owning copy of `text` (one allocation; none when empty). For
    /// occasional texts; a request's many texts come from a text_arena.
    shared_text(std::string_view text);
    shared_text(std::string const& text) : shared_text(std::string_view{text}) {}
    shared_text(char const* text) : shared_text(std::string_view{text}) {}
    /// `part`, which must lie inside the memory `owner` keeps alive.
    shared_text(std::shared_ptr<void const> owner, std::string_view part) noexcept
        : view_(part), owner_(std::move(owner))
    {}

    std::string_view view() const noexcept { return view_; }
    operator std::string_view() const noexcept { return view_; }
    std::string str() const { return std::string(view_); }
    char const* data() const noexcept { return view_.data(); }
    std::size_t size() const noexcept { return view_.size(); }
    bool empty() const noexcept { return view_.empty(); }
    bool starts_with(std::string_view s) const noexcept { return view_.starts_with(s); }

    /// Part of this text, sharing its memory.
    shared_text substr(std::size_t pos, std::size_t n = std::string_view::npos) const
    {
        return {owner_, view_.substr(pos, n)};
    }

    friend bool operator==(shared_text const& a, std::string_view b) noexcept { return a.view_ == b; }
    friend std::ostream& operator<<(std::ostream& os, shared_text const& t) { return os << t.view_; }

private:
    std::string_view view_;
    std::shared_ptr<void const> owner_;
};

/// Bump allocation for one request's texts: a few blocks instead of a heap
/// string per field. Texts handed out stay valid while any of them lives
/// (they share the blocks), whatever becomes of the arena itself.
class text_arena {
public:
    text_arena() = default;
    /// The first block's size, for a caller that knows roughly how much
    /// text is coming (later blocks double from there).
    explicit text_arena(std::size_t first_block) noexcept : block_size_(first_block < 256 ? 256 : first_block) {}
    text_arena(text_arena const&) = delete;
    text_arena& operator=(text_arena const&) = delete;

    /// A copy of `text`.
    shared_text copy(std::string_view text);

    /// `n` writable bytes, for a text built in place; wrap them with
    /// share() once written. Valid while any text of this arena lives.
    std::span<char> allocate(std::size_t n);

    /// Memory from allocate() as text.
    shared_text share(std::string_view written) const noexcept { return {blocks_, written}; }

private:
    struct blocks {
        std::vector<std::unique_ptr<char[]>> list;
    };
    std::shared_ptr<blocks> blocks_;
    char* next_ = nullptr;
    std::size_t left_ = 0;
    std::size_t block_size_ = 2048;  // the next block's size: doubles each time, up to 256 kB
};

}  // namespace rebound::model
