// `rebound reclassify`: re-runs the current classifier over stored events.
//
// It walks events in primary-key batches, skipping those already classified
// by this version, updates reason/severity/classifier_version, and
// recomputes the state of the recipients whose classification changed. It
// records its position after every batch, so it can be stopped at any time
// and resumed. Daily rollups keep the classification events had at ingest.
#pragma once

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>

namespace rebound::store {

struct reclassify_report {
    std::int64_t scanned = 0;
    std::int64_t changed = 0;
    std::int64_t recipients_recomputed = 0;
};

boost::system::result<reclassify_report, std::string> reclassify(std::string const& conninfo, int batch_size);

}  // namespace rebound::store
