// Stele serial frame protocol v1: encoder, streaming decoder and CRC in portable C++ (C++11 and later).
// No Arduino dependency, no heap, no exceptions, fixed buffers: it builds for an Uno (2 KB RAM) and for the
// host test that checks it against firmware-bridge/vectors/*.json. Spec: docs/protocol-serial.md.
//
// Wire frame: COBS(packet) 0x00, packet = body || CRC-16/CCITT-FALSE(body) big-endian, packet <= 255 bytes.
// Boards send an extra 0x00 before each frame so that garbage can never swallow the frame that follows it.
#ifndef STELE_FRAME_H
#define STELE_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

namespace stele {

static const uint8_t kVersion = 1;
static const uint8_t kTypeHello = 0x01;
static const uint8_t kTypeData = 0x02;
static const uint8_t kTypeAck = 0x03;

static const size_t kMaxPacket = 255;   // body + CRC
static const size_t kMaxEncoded = 257;  // COBS(255 bytes), delimiter not counted
static const size_t kMaxFrame = 258;    // with the delimiter

static const uint8_t kMaxBoardId = 32;
static const uint8_t kMaxFirmware = 16;
static const uint8_t kMaxSensorName = 32;
static const uint8_t kMaxUnit = 16;
static const uint8_t kMaxSensors = 16;
static const uint8_t kMaxSamples = 32;
static const int8_t kMinExponent = -12;
static const int8_t kMaxExponent = 12;

static const uint8_t kHelloFlagBoot = 0x01;
static const uint8_t kAckFlagHelloRequest = 0x01;
static const uint8_t kAckFlagSeqValid = 0x02;

// ---------------------------------------------------------------------------------------------- CRC

// Bitwise rather than table-driven: 512 bytes of table would be a quarter of an Uno's RAM.
inline uint16_t crc16_update(uint16_t crc, uint8_t b) {
  crc ^= static_cast<uint16_t>(b) << 8;
  for (uint8_t k = 0; k < 8; k++) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  return crc;
}

inline uint16_t crc16(const uint8_t* p, size_t n) {
  uint16_t crc = 0xFFFF;
  for (size_t i = 0; i < n; i++) crc = crc16_update(crc, p[i]);
  return crc;
}

// Signed distance a - b of two u32 sequence numbers (RFC 1982): correct across the wrap at 2^32.
inline int32_t seq_diff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

// ---------------------------------------------------------------------------------------------- encoder

// Writes a frame straight into the caller's buffer: each body byte updates the CRC and is COBS-stuffed on
// the fly, so encoding needs no packet buffer on the stack. ok() turns false on any overflow or bad field.
class FrameWriter {
 public:
  FrameWriter(uint8_t* out, size_t cap) : out_(out), cap_(cap), pos_(1), code_at_(0), code_(1), plen_(0), crc_(0xFFFF), ok_(cap >= 2) {}

  void u8(uint8_t b) {
    crc_ = crc16_update(crc_, b);
    put(b);
  }
  void u16(uint16_t v) {
    u8(static_cast<uint8_t>(v >> 8));
    u8(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  // A string with a u8 length prefix; strings longer than max make the frame invalid rather than truncated.
  void str8(const char* s, uint8_t max) {
    size_t n = s ? strlen(s) : 0;
    if (n > max) {
      ok_ = false;
      return;
    }
    u8(static_cast<uint8_t>(n));
    for (size_t i = 0; i < n; i++) u8(static_cast<uint8_t>(s[i]));
  }
  void fail() { ok_ = false; }
  bool ok() const { return ok_; }

  // Appends the CRC, closes the last COBS block and the 0x00 delimiter. Returns the frame length or 0.
  size_t finish() {
    uint16_t crc = crc_;
    put(static_cast<uint8_t>(crc >> 8));
    put(static_cast<uint8_t>(crc));
    if (!ok_ || plen_ > kMaxPacket || pos_ >= cap_) return 0;
    out_[code_at_] = code_;
    out_[pos_++] = 0;
    return pos_;
  }

 private:
  void put(uint8_t b) {
    plen_++;
    if (pos_ >= cap_) {
      ok_ = false;
      return;
    }
    if (b == 0) {
      close_block();
      return;
    }
    out_[pos_++] = b;
    if (++code_ == 0xFF) close_block();
  }
  void close_block() {
    if (pos_ >= cap_) {
      ok_ = false;
      return;
    }
    out_[code_at_] = code_;
    code_at_ = pos_++;
    code_ = 1;
  }

  uint8_t* out_;
  size_t cap_;
  size_t pos_;
  size_t code_at_;
  uint8_t code_;
  size_t plen_;
  uint16_t crc_;
  bool ok_;
};

struct SensorInfo {
  const char* name;
  const char* unit;
  int8_t exponent;
};

struct Sample {
  uint8_t sensor;
  int32_t raw;
};

inline size_t encode_hello(uint16_t boot, uint32_t seq, uint32_t uptime_ms, uint8_t flags, const char* board_id,
                           const char* firmware, const SensorInfo* sensors, uint8_t count, uint8_t* out, size_t cap) {
  FrameWriter w(out, cap);
  if (count < 1 || count > kMaxSensors) return 0;
  w.u8(kVersion);
  w.u8(kTypeHello);
  w.u16(boot);
  w.u32(seq);
  w.u32(uptime_ms);
  w.u8(flags);
  w.str8(board_id, kMaxBoardId);
  w.str8(firmware, kMaxFirmware);
  w.u8(count);
  for (uint8_t i = 0; i < count; i++) {
    if (sensors[i].exponent < kMinExponent || sensors[i].exponent > kMaxExponent) w.fail();
    w.str8(sensors[i].name, kMaxSensorName);
    w.str8(sensors[i].unit, kMaxUnit);
    w.u8(static_cast<uint8_t>(sensors[i].exponent));
  }
  return w.finish();
}

inline size_t encode_data(uint16_t boot, uint32_t seq, uint32_t uptime_ms, uint8_t held, const Sample* samples,
                          uint8_t count, uint8_t* out, size_t cap) {
  FrameWriter w(out, cap);
  if (count < 1 || count > kMaxSamples) return 0;
  w.u8(kVersion);
  w.u8(kTypeData);
  w.u16(boot);
  w.u32(seq);
  w.u32(uptime_ms);
  w.u8(held);
  w.u8(count);
  for (uint8_t i = 0; i < count; i++) {
    w.u8(samples[i].sensor);
    w.u32(static_cast<uint32_t>(samples[i].raw));
  }
  return w.finish();
}

inline size_t encode_ack(uint16_t boot, uint32_t ack_seq, uint8_t flags, uint8_t* out, size_t cap) {
  FrameWriter w(out, cap);
  w.u8(kVersion);
  w.u8(kTypeAck);
  w.u16(boot);
  w.u32(ack_seq);
  w.u8(flags);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------- decoder

enum DecodeResult { kNone = 0, kFrame, kCrcError, kOversize, kMalformed };

// Streaming decoder: feed bytes one at a time; returns kFrame when a packet passed COBS and CRC, after which
// body()/body_len() hold it (without CRC) until the next feed(). Cap bounds RAM: a board that only ever
// receives ACK frames uses Decoder<16>; anything longer is counted as oversize and skipped.
template <size_t Cap = kMaxEncoded>
class Decoder {
 public:
  Decoder() : len_(0), body_len_(0), discarding_(false) {}

  DecodeResult feed(uint8_t b) {
    if (b != 0) {
      if (discarding_) return kNone;
      if (len_ >= Cap) {
        discarding_ = true;
        len_ = 0;
        return kNone;
      }
      buf_[len_++] = b;
      return kNone;
    }
    if (discarding_) {
      discarding_ = false;
      return kOversize;
    }
    size_t n = len_;
    len_ = 0;
    if (n == 0) return kNone;  // sync byte
    int d = cobs_decode_in_place(n);
    if (d == -2) return kOversize;
    if (d < 0) return kMalformed;
    size_t m = static_cast<size_t>(d);
    if (m < 3) return kMalformed;
    uint16_t want = static_cast<uint16_t>((buf_[m - 2] << 8) | buf_[m - 1]);
    if (crc16(buf_, m - 2) != want) return kCrcError;
    body_len_ = m - 2;
    return kFrame;
  }

  void reset() {
    len_ = 0;
    discarding_ = false;
  }
  const uint8_t* body() const { return buf_; }
  size_t body_len() const { return body_len_; }

 private:
  // Decoding in place is safe: the write index never passes the read index.
  int cobs_decode_in_place(size_t n) {
    size_t i = 0;
    size_t out = 0;
    while (i < n) {
      uint8_t code = buf_[i++];
      size_t end = i + code - 1;
      if (end > n) return -1;
      while (i < end) buf_[out++] = buf_[i++];
      if (code != 0xFF && i < n) buf_[out++] = 0;
      if (out > kMaxPacket) return -2;
    }
    return static_cast<int>(out);
  }

  uint8_t buf_[Cap];
  size_t len_;
  size_t body_len_;
  bool discarding_;
};

// ---------------------------------------------------------------------------------------------- parsing

// Bounds-checked big-endian reader over a body; any short read latches ok() to false.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n), i_(0), ok_(true) {}
  uint8_t u8() {
    if (i_ + 1 > n_) {
      ok_ = false;
      return 0;
    }
    return p_[i_++];
  }
  uint16_t u16() {
    uint16_t hi = u8();
    return static_cast<uint16_t>((hi << 8) | u8());
  }
  uint32_t u32() {
    uint32_t hi = u16();
    return (hi << 16) | u16();
  }
  // Copies a u8-length-prefixed string into dst (NUL-terminated); fails when longer than max.
  bool str8(char* dst, uint8_t max, size_t* len_out) {
    uint8_t n = u8();
    if (!ok_ || n > max || i_ + n > n_) return ok_ = false;
    memcpy(dst, p_ + i_, n);
    dst[n] = 0;
    i_ += n;
    *len_out = n;
    return true;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && i_ == n_; }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t i_;
  bool ok_;
};

// Ids appear in topics, URLs and index keys, so they use a safe alphabet: [A-Za-z0-9._:-]{1,max}.
inline bool valid_id(const char* s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Well-formed UTF-8 (Unicode table 3-7: no overlongs, surrogates or code points past U+10FFFF) without
// control characters (Unicode Cc: U+0000..U+001F, U+007F and the C1 range U+0080..U+009F, i.e. bytes C2 80..C2 9F),
// the same rule as the TypeScript decoder's fatal TextDecoder plus its control check.
inline bool valid_text(const char* s, size_t n) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s);
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c < 0x20 || c == 0x7F) return false;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return false;
    if (i + len > n) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    if (c == 0xC2 && p[i + 1] <= 0x9F) return false;  // C1 control
    for (size_t k = 2; k < len; k++)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    i += len;
  }
  return true;
}

struct Ack {
  uint16_t boot;
  uint32_t ack_seq;
  uint8_t flags;
};

struct Data {
  uint16_t boot;
  uint32_t seq;
  uint32_t uptime_ms;
  uint8_t held;
  uint8_t count;
  Sample samples[kMaxSamples];
};

struct SensorDesc {
  char name[kMaxSensorName + 1];
  char unit[kMaxUnit + 1];
  int8_t exponent;
};

// Large (about 900 bytes): only the host test and gateways parse HELLO; a board never does.
struct Hello {
  uint16_t boot;
  uint32_t seq;
  uint32_t uptime_ms;
  uint8_t flags;
  char board_id[kMaxBoardId + 1];
  char firmware[kMaxFirmware + 1];
  uint8_t count;
  SensorDesc sensors[kMaxSensors];
};

// Frame type of a CRC-checked body, or 0 when the version is unknown or the body too short.
inline uint8_t frame_type(const uint8_t* body, size_t n) {
  if (n < 2 || body[0] != kVersion) return 0;
  return body[1];
}

inline bool parse_ack(const uint8_t* body, size_t n, Ack& out) {
  Reader r(body, n);
  if (r.u8() != kVersion || r.u8() != kTypeAck) return false;
  out.boot = r.u16();
  out.ack_seq = r.u32();
  out.flags = r.u8();
  return r.at_end();
}

inline bool parse_data(const uint8_t* body, size_t n, Data& out) {
  Reader r(body, n);
  if (r.u8() != kVersion || r.u8() != kTypeData) return false;
  out.boot = r.u16();
  out.seq = r.u32();
  out.uptime_ms = r.u32();
  out.held = r.u8();
  out.count = r.u8();
  if (!r.ok() || out.count < 1 || out.count > kMaxSamples) return false;
  uint8_t seen[32];  // one bit per possible sensor index
  memset(seen, 0, sizeof seen);
  for (uint8_t i = 0; i < out.count; i++) {
    uint8_t s = r.u8();
    out.samples[i].sensor = s;
    out.samples[i].raw = static_cast<int32_t>(r.u32());
    if (seen[s >> 3] & (1 << (s & 7))) return false;
    seen[s >> 3] = static_cast<uint8_t>(seen[s >> 3] | (1 << (s & 7)));
  }
  return r.at_end();
}

inline bool parse_hello(const uint8_t* body, size_t n, Hello& out) {
  Reader r(body, n);
  size_t len = 0;
  if (r.u8() != kVersion || r.u8() != kTypeHello) return false;
  out.boot = r.u16();
  out.seq = r.u32();
  out.uptime_ms = r.u32();
  out.flags = r.u8();
  if (!r.str8(out.board_id, kMaxBoardId, &len) || !valid_id(out.board_id, len)) return false;
  if (!r.str8(out.firmware, kMaxFirmware, &len) || !valid_text(out.firmware, len)) return false;
  out.count = r.u8();
  if (!r.ok() || out.count < 1 || out.count > kMaxSensors) return false;
  for (uint8_t i = 0; i < out.count; i++) {
    SensorDesc& s = out.sensors[i];
    if (!r.str8(s.name, kMaxSensorName, &len) || !valid_id(s.name, len)) return false;
    if (!r.str8(s.unit, kMaxUnit, &len) || !valid_text(s.unit, len)) return false;
    s.exponent = static_cast<int8_t>(r.u8());
    if (s.exponent < kMinExponent || s.exponent > kMaxExponent) return false;
  }
  return r.at_end();
}

}  // namespace stele

#endif  // STELE_FRAME_H
