// COPY ... FROM STDIN of rows formatted by copy_rows.hpp, sent in chunks.
//
// libpqxx 6.4 keeps stream_to's raw-line writer private; tablewriter's is
// public. It sends each call as one CopyData message, after copying the text
// to add the newline, and libpq writes its buffer to the socket at every
// 8 kB. One call per row therefore cost an allocation per row and a send()
// per dozen rows, and PostgreSQL a recv() for each; rows gathered into
// chunks cost one of each per chunk. COPY does not need message boundaries
// to line up with rows.
//
// Shared by the ingest writer and loadtest/ceiling, so the ceiling's client
// does exactly what rebound's does.
#pragma once

#include <pqxx/tablewriter>
#include <pqxx/transaction_base>

#include <string>
#include <string_view>
#include <vector>

namespace rebound::store {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
class copy_in {
public:
    /// A chunk is sent once it holds this much.
    static constexpr std::size_t chunk_bytes = 64 * 1024;

    /// `buffer` is the caller's, so that its capacity outlives one COPY.
    copy_in(pqxx::transaction_base& tx, std::string_view table, std::vector<std::string> const& columns,
            std::string& buffer)
        : writer_{tx, std::string(table), columns.begin(), columns.end()}, chunk_{buffer}
    {
        chunk_.clear();
    }

    copy_in(copy_in const&) = delete;
    copy_in& operator=(copy_in const&) = delete;

    /// Appends one row: `format(std::string&)` appends its text, without the
    /// newline.
    template <class Format>
    void row_with(Format&& format)
    {
        if (rows_in_chunk_++ > 0) chunk_.push_back('\n');
        format(chunk_);
        if (chunk_.size() >= chunk_bytes) flush();
    }

    /// Appends one row formatted in advance, without its newline.
    void row(std::string_view line)
    {
        row_with([line](std::string& out) { out.append(line); });
    }

    void complete()
    {
        flush();
        writer_.complete();
    }

private:
    void flush()
    {
        if (rows_in_chunk_ == 0) return;
        writer_.write_raw_line(chunk_);  // adds the last row's newline
        chunk_.clear();
        rows_in_chunk_ = 0;
    }

    pqxx::tablewriter writer_;
    std::string& chunk_;
    std::size_t rows_in_chunk_ = 0;
};
#pragma GCC diagnostic pop

}  // namespace rebound::store
