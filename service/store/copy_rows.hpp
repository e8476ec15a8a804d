// COPY text rows of the ingest path's staging and rejected tables.
//
// The writer formats each row once, straight from the event, into one
// reusable buffer: no per-field copies, no tuples. The load-test ceiling
// (loadtest/ceiling.cpp) formats its rows with the same functions, so the two
// send PostgreSQL byte-identical COPY data.
#pragma once

#include "model/event.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace rebound::store {

/// The columns of rebound_staging, in the order append_staging_row writes.
std::vector<std::string> const& staging_columns();

/// The columns of rejected_events that append_rejected_row writes.
std::vector<std::string> const& rejected_columns();

/// Appends `s` escaped for COPY's text format. NUL is dropped: COPY text
/// cannot carry it and PostgreSQL text refuses it; the raw JSON keeps the
/// sender's "\u0000" escape verbatim.
void append_copy_text(std::string& out, std::string_view s);

/// One rebound_staging row (no trailing newline); `seq` keeps batch order.
void append_staging_row(std::string& out, model::normalized_event const& e, int seq);

/// One rejected_events row (no trailing newline).
void append_rejected_row(std::string& out, model::rejected_event const& r);

}  // namespace rebound::store
