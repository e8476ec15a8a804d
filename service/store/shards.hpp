// The logical recipient shards that writers lock (sql::lock_shards), shared
// by the ingest writer and the load-test ceiling so both shard and lock the
// same way.
//
// Recipients are spread over a fixed number of logical shards with a hash
// that is stable across builds, so that every process sharing the database
// agrees on which shard a recipient is in, whatever its writer count.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

namespace rebound::store {

constexpr unsigned logical_shards = 64;

/// FNV-1a of the (lower-cased) address.
constexpr unsigned
logical_shard_of(std::string_view recipient) noexcept
{
    std::uint32_t h = 2166136261u;
    for (unsigned char c : recipient) {
        h ^= c;
        h *= 16777619u;
    }
    return h % logical_shards;
}

/// The shards a batch touches.
using shard_set = std::bitset<logical_shards>;

/// `shards` as lock_shards' int[] literal, ascending ("{3,17,40}"): two
/// writers locking in the same order can never wait on each other in a cycle.
inline std::string
shard_list_literal(shard_set const& shards)
{
    std::string out = "{";
    for (unsigned shard = 0; shard < logical_shards; ++shard)
        if (shards[shard]) {
            if (out.size() > 1) out.push_back(',');
            out += std::to_string(shard);
        }
    out.push_back('}');
    return out;
}

}  // namespace rebound::store
