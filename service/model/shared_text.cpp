// Shared texts and the request arena (see shared_text.hpp).
#include "model/shared_text.hpp"

#include <algorithm>
#include <cstring>

namespace rebound::model {

shared_text::shared_text(std::string_view text)
{
    if (text.empty()) return;
    // One block for the count and the bytes.
    auto block = std::make_shared_for_overwrite<char[]>(text.size());
    std::memcpy(block.get(), text.data(), text.size());
    view_ = {block.get(), text.size()};
    owner_ = std::move(block);
}

std::span<char>
text_arena::allocate(std::size_t n)
{
    if (n > left_) {
        if (!blocks_) blocks_ = std::make_shared<blocks>();
        std::size_t const size = std::max(n, block_size_);
        block_size_ = std::min<std::size_t>(block_size_ * 2, 256 * 1024);
        blocks_->list.push_back(std::make_unique_for_overwrite<char[]>(size));
        next_ = blocks_->list.back().get();
        left_ = size;
    }
    std::span<char> const out{next_, n};
    next_ += n;
    left_ -= n;
    return out;
}

shared_text
text_arena::copy(std::string_view text)
{
    if (text.empty()) return {};
    auto const out = allocate(text.size());
    std::memcpy(out.data(), text.data(), text.size());
    return share({out.data(), out.size()});
}

}  // namespace rebound::model
