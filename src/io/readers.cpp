// Copyright © 2026 Tandem authors.
// File readers and writers (POSIX file descriptors; positional reads with pread are thread-safe).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tandem/io.h"

#ifndef O_BINARY
#define O_BINARY 0
#endif

namespace tandem::io {

namespace {

int64_t seek_target(int64_t off, std::ios_base::seekdir way, int64_t cur, int64_t end) {
  if (way == std::ios_base::beg) return off;
  if (way == std::ios_base::end) return end + off;
  return cur + off;
}

}  // namespace

FileReader::FileReader(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_BINARY | O_CLOEXEC);
  if (fd_ >= 0) {
    // A directory opens read-only on Linux but cannot be read: treat it as not openable.
    struct stat st;
    if (::fstat(fd_, &st) != 0 || S_ISDIR(st.st_mode)) {
      ::close(fd_);
      fd_ = -1;
      errno = EISDIR;
    }
  }
  if (fd_ < 0) error_ = std::strerror(errno);
}

FileReader::~FileReader() {
  if (fd_ >= 0) ::close(fd_);
}

size_t FileReader::size() const {
  struct stat st;
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) return 0;
  return static_cast<size_t>(st.st_size);
}

void FileReader::seek(int64_t off, std::ios_base::seekdir way) {
  int64_t target = seek_target(off, way, static_cast<int64_t>(pos_), static_cast<int64_t>(size()));
  if (target < 0) throw std::runtime_error("[FileReader::seek] Negative position in " + label());
  pos_ = static_cast<size_t>(target);
}

void FileReader::read(char* data, size_t n) {
  read(data, n, pos_);
  pos_ += n;
}

void FileReader::read(char* data, size_t n, size_t offset) {
  if (fd_ < 0) throw std::runtime_error("[FileReader::read] " + label() + " is not open.");
  size_t done = 0;
  while (done < n) {
    // Linux transfers at most ~2 GiB per call.
    size_t chunk = std::min<size_t>(n - done, size_t{1} << 30);
    ssize_t r = ::pread(fd_, data + done, chunk, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      throw std::runtime_error("[FileReader::read] Reading " + label() +
                               " failed: " + std::strerror(errno));
    }
    if (r == 0) {
      throw std::runtime_error("[FileReader::read] " + label() + " ends at byte " +
                               std::to_string(offset + done) + "; " + std::to_string(n) +
                               " bytes were needed from byte " + std::to_string(offset) +
                               " (was the file truncated after it was loaded?).");
    }
    done += static_cast<size_t>(r);
  }
}

FileWriter::FileWriter(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_BINARY | O_CLOEXEC, 0644);
  if (fd_ < 0) error_ = std::strerror(errno);
}

FileWriter::~FileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

size_t FileWriter::tell() {
  off_t p = fd_ >= 0 ? ::lseek(fd_, 0, SEEK_CUR) : 0;
  return p < 0 ? 0 : static_cast<size_t>(p);
}

void FileWriter::seek(int64_t off, std::ios_base::seekdir way) {
  int whence =
      way == std::ios_base::beg ? SEEK_SET : (way == std::ios_base::end ? SEEK_END : SEEK_CUR);
  if (fd_ < 0 || ::lseek(fd_, static_cast<off_t>(off), whence) < 0)
    throw std::runtime_error("[FileWriter::seek] Cannot seek in " + label() + ".");
}

void FileWriter::write(const char* data, size_t n) {
  if (fd_ < 0) throw std::runtime_error("[FileWriter::write] " + label() + " is not open.");
  while (n != 0) {
    ssize_t m = ::write(fd_, data, std::min<size_t>(n, size_t{1} << 30));
    if (m < 0 && errno == EINTR) continue;
    if (m <= 0) {
      throw std::runtime_error("[FileWriter::write] Unable to write " + std::to_string(n) +
                               " bytes to " + label() + ": " +
                               std::strerror(m < 0 ? errno : ENOSPC));
    }
    data += m;
    n -= static_cast<size_t>(m);
  }
}

}  // namespace tandem::io
