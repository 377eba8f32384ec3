// Copyright © 2026 Tandem authors.
#pragma once

#include <ostream>
#include <variant>

#include "tandem/device.h"

namespace tandem {

/// An ordered queue of work on one device. Work on different streams may run concurrently.
struct Stream {
  int index;
  Device device;
  Stream(int index, Device device) : index(index), device(device) {}
};

inline bool operator==(const Stream& a, const Stream& b) {
  return a.index == b.index;
}
inline bool operator!=(const Stream& a, const Stream& b) {
  return a.index != b.index;
}
std::ostream& operator<<(std::ostream& os, const Stream& s);

/// The trailing argument of every op: nothing (the default stream of the default device), a
/// device (its default stream), or a stream.
using StreamOrDevice = std::variant<std::monostate, Stream, Device>;

Stream default_stream(Device d);
void set_default_stream(Stream s);
Stream new_stream(Device d);
/// The stream with the given index (from Stream::index); throws "[get_stream] ..." for an index
/// no stream has.
Stream get_stream(int index);
/// Resolve a StreamOrDevice to the stream an op runs on.
Stream to_stream(StreamOrDevice s);

/// Block until all work queued on `s` (default: every stream of the default device) is done.
void synchronize();
void synchronize(Stream s);

}  // namespace tandem
